"""Package sizes: `sam build` (arm64, python3.13, no Docker) of the whole template, then each
function's and layer's size unzipped and zipped (what Lambda stores and loads). Results go to
bench/results/package.json."""

import io
import zipfile
from pathlib import Path
from typing import Any

from local.emulator import sam_build
from local.template import ROOT

BUILD = ROOT / ".aws-sam" / "build"


def sizes(directory: Path) -> tuple[int, int]:
    """Bytes unzipped, and zipped as Lambda would store the artifact."""
    files = [path for path in directory.rglob("*") if path.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(directory))
    return sum(path.stat().st_size for path in files), len(buffer.getvalue())


def precompiled(directory: Path) -> tuple[int, int]:
    """Python sources, and how many of them ship with Python 3.13 bytecode that is used unchecked."""
    sources = list(directory.rglob("*.py"))
    compiled = 0
    for source in sources:
        bytecode = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        # Header flags (bytes 4–8): 1 is hash-based and unchecked, used whatever the source's timestamp.
        if bytecode.is_file() and int.from_bytes(bytecode.read_bytes()[4:8], "little") == 1:
            compiled += 1
    return len(sources), compiled


def run() -> list[dict[str, Any]]:
    sam_build(BUILD)
    results = []
    for artifact in sorted(path for path in BUILD.iterdir() if path.is_dir()):
        unzipped, zipped = sizes(artifact)
        sources, compiled = precompiled(artifact)
        results.append(
            {
                "artifact": artifact.name,
                "unzipped_bytes": unzipped,
                "zipped_bytes": zipped,
                "sources": sources,
                "precompiled": compiled,
            }
        )
    return results
