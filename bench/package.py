"""Package sizes: `sam build` (arm64, python3.13, no Docker) of the whole template, then each
function's and layer's size unzipped and zipped (what Lambda stores and loads). Results go to
bench/results/package.json."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from local.template import ROOT, TEMPLATE

BUILD = ROOT / ".aws-sam" / "build"


def build() -> None:
    venv_bin = str(Path(sys.executable).parent)  # holds python3.13, which sam's builder looks for
    environment = {**os.environ, "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
    subprocess.run(  # noqa: S603 - our own sam on our own template
        [str(Path(sys.executable).with_name("sam")), "build", "--template-file", str(TEMPLATE)],
        cwd=ROOT, env=environment, check=True, capture_output=True, timeout=1200,
    )  # fmt: skip


def sizes(directory: Path) -> tuple[int, int]:
    """Bytes unzipped, and zipped as Lambda would store the artifact."""
    files = [path for path in directory.rglob("*") if path.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(directory))
    return sum(path.stat().st_size for path in files), len(buffer.getvalue())


def run() -> list[dict[str, Any]]:
    build()
    results = []
    for artifact in sorted(path for path in BUILD.iterdir() if path.is_dir()):
        unzipped, zipped = sizes(artifact)
        results.append({"artifact": artifact.name, "unzipped_bytes": unzipped, "zipped_bytes": zipped})
    return results
