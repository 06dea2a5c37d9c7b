"""Servers the local stack and its tests start as processes of their own (the Lambda emulator,
DynamoDB Local): a free loopback port for one, waiting until it listens, and stopping it."""

import socket
import subprocess
import time
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_listening(
    process: subprocess.Popen[bytes] | subprocess.Popen[str], port: int, name: str, seconds: float
) -> None:
    """Until `process` accepts connections on `port`; if it ends first or takes longer than
    `seconds`, it is stopped and RuntimeError says so (with what it wrote to a piped stderr)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            written = process.stderr.read() if process.stderr else ""
            said = written.decode(errors="replace") if isinstance(written, bytes) else written
            raise RuntimeError(f"{name} exited ({process.returncode}): {said}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"{name} did not listen on port {port} within {seconds} s")


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
