"""A fault-injecting proxy between the functions and DynamoDB Local (a test fixture): for a chosen
share of requests it drops the connection (before the request reaches the engine, or after, so
the write is applied but its answer lost), holds the request past the client's read timeout
before passing it on, or answers what DynamoDB answers under load (`ThrottlingException`,
`ProvisionedThroughputExceededException`, `InternalServerError`). Every other request goes
through as it came."""

import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# What DynamoDB answers when it is overloaded or failing (its JSON protocol: the error's type in
# `__type`), by fault.
ANSWERS = {
    "ThrottlingException": (400, "Rate of requests exceeds the allowed throughput."),
    "ProvisionedThroughputExceededException": (400, "The level of configured provisioned throughput was exceeded."),
    "InternalServerError": (500, "Internal server error"),
}
FAULTS = ("drop-before", "drop-after", "delay", *ANSWERS)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class FaultProxy(ThreadingHTTPServer):
    """`with FaultProxy.running(upstream, share=0.2) as proxy:` point the functions at `proxy.url`;
    `proxy.share = 0` lets everything through, `proxy.kinds` narrows the faults chosen among, and
    `proxy.injected` counts them by kind."""

    daemon_threads = True

    def __init__(self, upstream: str, share: float, delay_seconds: float, seed: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.share, self.delay_seconds = share, delay_seconds
        self.kinds: tuple[str, ...] = FAULTS  # the faults to choose among
        self.injected: Counter[str] = Counter()
        self.passed = 0
        self._random, self._lock = random.Random(seed), threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def choose(self) -> str | None:
        with self._lock:
            if self._random.random() >= self.share:
                self.passed += 1
                return None
            fault = self._random.choice(self.kinds)
            self.injected[fault] += 1
            return fault

    @classmethod
    @contextmanager
    def running(cls, upstream: str, share: float, delay_seconds: float, seed: int = 17) -> Iterator["FaultProxy"]:
        proxy = cls(upstream, share, delay_seconds, seed)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield proxy
        finally:
            proxy.shutdown()
            proxy.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
    server: FaultProxy

    def setup(self) -> None:
        super().setup()
        # An answer's headers and body go in two writes: without this, Nagle's algorithm holds the
        # second until the client's delayed ACK, 40 ms an answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.server.choose()
        if fault == "drop-before":
            self.close_connection = True
            return
        if fault == "delay":
            time.sleep(self.server.delay_seconds)  # the client has given up (and retried) by now
        if fault in ANSWERS:
            status, message = ANSWERS[fault]
            self._answer(status, {"Content-Type": "application/x-amz-json-1.0"}, _error(fault, message))
            return
        status, headers, answer = self._forward(body)
        if fault == "drop-after":  # applied, but the answer never arrives
            self.close_connection = True
            return
        self._answer(status, headers, answer)

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = {name: value for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP}
            return response.status, kept, answer
        finally:
            connection.close()

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up on a delayed answer
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


def _error(kind: str, message: str) -> bytes:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message}).encode()
