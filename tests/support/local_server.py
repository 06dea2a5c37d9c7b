"""`make run`'s server as the tests drive it: its URL, its process, tokens signed with its key
(`make token`'s) and a plain HTTP client."""

import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local import issuer


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    stack_file: Path  # where it recorded itself (LMS_STACK_FILE)

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
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        request = urllib.request.Request(self.url + path, data=body, method=method)  # noqa: S310 - loopback
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw, status, headers = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, headers = error.read(), error.code, dict(error.headers)
        return status, json.loads(raw) if raw else {}, headers

    def json(self, method: str, path: str, token: str, payload: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self.request(method, path, token, json.dumps(payload).encode(), "application/json")
