"""`make run`'s server in this process, on the benchmark's DynamoDB Local, and requests timed over
real HTTP: on one kept-alive connection, or on a new connection each."""

import gzip
import http.client
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local import server


@dataclass(frozen=True)
class Answer:
    status: int
    milliseconds: float
    body: bytes  # as sent (gzip when asked for and given)
    headers: dict[str, str]

    def json(self) -> Any:
        raw = gzip.decompress(self.body) if self.headers.get("Content-Encoding") == "gzip" else self.body
        return json.loads(raw)


@dataclass
class Client:
    host: str
    port: int
    token: str
    connection: http.client.HTTPConnection | None = None

    def get(self, path: str, keep_alive: bool = True, gzip_: bool = False) -> Answer:
        """One GET, timed from the request to the last byte of the answer."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if gzip_:
            headers["Accept-Encoding"] = "gzip"
        if not keep_alive or self.connection is None:
            if self.connection is not None:
                self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        started = time.perf_counter()
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if not keep_alive:
            self.connection.close()
            self.connection = None
        if response.status >= 300:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return Answer(response.status, elapsed, body, dict(response.getheaders()))


@contextmanager
def local_server() -> Iterator[tuple[str, int]]:
    """The local API on a free port, without the stream feed: the benchmark's table holds hundreds
    of thousands of seeded items whose records would queue ahead of everything (so a first read
    after a write builds the tree itself, as it does before the StreamProjector has run)."""
    api, stop = server.start(0, feed_stream=False)
    try:
        yield "127.0.0.1", api.port
    finally:
        stop()
