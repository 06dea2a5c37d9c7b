"""`make run`'s server as the tests drive it: its URL, its process, tokens from `make token`'s
command and a plain HTTP client."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from local.template import ROOT


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]

    def token(self, role: str = "admin", tenant: str = "e2e-tenant", user: str = "e2e-user") -> str:
        output = subprocess.run(  # noqa: S603 - our own module
            [sys.executable, "-m", "local.token", "--role", role, "--tenant", tenant, "--user", user],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        return output.strip().splitlines()[-1]

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
