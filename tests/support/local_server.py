"""`make run`'s server as the tests drive it: its URL, its process, tokens signed with its key
(`make token`'s) and a plain HTTP client."""

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from local import issuer


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    stack_file: Path  # where it recorded itself (LMS_STACK_FILE)
    log: list[str] = field(default_factory=list)  # what it has written to stderr so far

    def token(self, role: str = "admin", tenant: str = "e2e-tenant", user: str = "e2e-user") -> str:
        """Signed here with the local issuer's key, as `make token` signs it (one process per token
        took about 0.7 s; one test runs `make token`'s command itself)."""
        return issuer.mint(role, tenant, user)

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, dict[str, Any], Message]:
        """Status, JSON body and headers (read whatever their case: the server sends them in
        lower case, as API Gateway's HTTP API does)."""
        request = urllib.request.Request(self.url + path, data=body, method=method)  # noqa: S310 - loopback
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw, status, headers = response.read(), response.status, response.headers
        except urllib.error.HTTPError as error:
            raw, status, headers = error.read(), error.code, error.headers
        return status, json.loads(raw) if raw else {}, headers

    def json(self, method: str, path: str, token: str, payload: Any) -> tuple[int, dict[str, Any], Message]:
        return self.request(method, path, token, json.dumps(payload).encode(), "application/json")

    def events(self, kind: str) -> list[dict[str, Any]]:
        """The domain events of `kind` published so far (/local/events)."""
        return [event for event in self.request("GET", "/local/events")[1]["events"] if event["detail-type"] == kind]


def eventually[T](read: Callable[[], T], done: Callable[[T], bool], seconds: float, what: str) -> T:
    """What `read` gives once `done` holds, polled for up to `seconds`, never a fixed sleep: the
    stack's S3 events, stream and bus are asynchronous, as in AWS."""
    deadline = time.monotonic() + seconds
    while not done(found := read()):
        assert time.monotonic() < deadline, f"{what} not within {seconds} s: {found}"
        time.sleep(0.05)
    return found
