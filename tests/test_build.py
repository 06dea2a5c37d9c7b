"""`sam build` (arm64, python3.13, no Docker) makes what Lambda loads: layers that ship their
bytecode (Lambda's /opt is read-only, so Python would otherwise compile every module again at each
cold start) and a dependency layer with the run-time pins only."""

from pathlib import Path

from bench.package import precompiled
from local.emulator import sam_build

NOT_IN_A_LAYER = ("pytest", "moto", "schemathesis", "mypy", "ruff", "samcli", "matplotlib", "pydantic_settings")


def test_the_layers_ship_bytecode_and_no_development_tools(tmp_path: Path) -> None:
    sam_build(tmp_path)

    for layer in ("DependencyLayer", "SharedLayer"):
        sources, compiled = precompiled(tmp_path / layer)
        assert sources > 0
        assert compiled == sources, f"{layer}: {sources - compiled} of {sources} Python files without bytecode"
    packages = {path.name for path in (tmp_path / "DependencyLayer" / "python").iterdir()}
    assert {"pydantic", "pynamodb", "aws_lambda_powertools", "jwt"} <= packages
    assert not packages & set(NOT_IN_A_LAYER)
