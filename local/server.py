"""`make run`: the API on 127.0.0.1:$PORT, as API Gateway would serve it, with no AWS account.

AWS stand-ins (moto server) take free ephemeral ports unless DYNAMODB_ENDPOINT / S3_ENDPOINT
point elsewhere (DynamoDB Local, or AWS itself). The API port opens only once all is ready."""

import errno
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local import apigw, issuer, openapi, stack, template
from local.running import RunningStack

JWKS_PATH = "/.well-known/jwks.json"
EVENTS_PATH = "/local/events"  # the domain events published so far (not an API route)
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"  # Swagger UI over the OpenAPI document, with Powertools' bundled assets (offline)
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def swagger_page(document: str) -> bytes:
    """Swagger UI with the document inline and Powertools' bundled script and styles (no CDN)."""
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    script, styles = (assets / "swagger-ui-bundle.min.js").read_text(), (assets / "swagger-ui.min.css").read_text()
    return generate_swagger_html(document, script, styles, "", None, persist_authorization=True).encode()


class ApiGatewayHandler(BaseHTTPRequestHandler):
    server: "LocalApi"
    protocol_version = "HTTP/1.1"
    # A response's head and body went out as two writes; with Nagle's algorithm on, the second
    # waited for the client's delayed ACK of the first, about 40 ms on every keep-alive request.
    # TCP_NODELAY sends each write at once, and a buffered writer makes head and body one write
    # (http.server flushes it after each request).
    disable_nagle_algorithm = True
    wbufsize = -1

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def __getattr__(self, name: str) -> Any:
        # Any other method (HEAD, TRACE, QUERY…) is routed too: no route has it, so it gets API
        # Gateway's 404 rather than http.server's 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def do_OPTIONS(self) -> None:
        self._send(HTTPStatus.NO_CONTENT, {**self.server.cors_headers, "Content-Length": "0"}, b"")

    def _serve(self) -> None:
        url = urlsplit(self.path)
        if self.command == "GET" and url.path == JWKS_PATH:
            self._send(HTTPStatus.OK, {"Content-Type": "application/json"}, json.dumps(self.server.jwks).encode())
            return
        if self.command == "GET" and url.path in (OPENAPI_PATH, DOCS_PATH):
            document = openapi.served_from(
                openapi.DOCUMENT.read_text(), f"http://127.0.0.1:{self.server.server_address[1]}"
            )
            # Swagger UI's own link to the document is /docs?format=json.
            if url.path == OPENAPI_PATH or parse_qs(url.query).get("format") == ["json"]:
                self._send(HTTPStatus.OK, {"Content-Type": "application/json"}, document.encode())
            else:
                self._send(HTTPStatus.OK, {"Content-Type": "text/html; charset=utf-8"}, swagger_page(document))
            return
        if self.command == "GET" and url.path == EVENTS_PATH:
            recorded = {"events": self.server.recorder.drain() if self.server.recorder else []}
            self._send(HTTPStatus.OK, {"Content-Type": "application/json"}, json.dumps(recorded).encode())
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {"Content-Type": "application/json"},
                b'{"message":"Request Entity Too Large"}',
            )
            return
        body = self.rfile.read(length) if length else b""
        for route in self.server.routes:
            path_parameters = route.match(self.command, url.path)
            if path_parameters is not None:
                break
        else:  # API Gateway's own answer for a route it does not have
            self._send(HTTPStatus.NOT_FOUND, {"Content-Type": "application/json"}, b'{"message":"Not Found"}')
            return
        headers = dict(self.headers.items())
        event = apigw.http_api_event(route, path_parameters, url.path, url.query, headers, body, self.client_address[0])
        try:
            response = self.server.host.invoke(route.function, event)
        except Exception:  # a function that crashes is API Gateway's 500, as in AWS
            traceback.print_exc()
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"Content-Type": "application/json"},
                b'{"message":"Internal Server Error"}',
            )
            return
        status, response_headers, raw = apigw.response_parts(response)
        self._send(status, {**self.server.cors_headers, **response_headers}, raw)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class LocalApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, host: stack.FunctionHost) -> None:
        self.host = host
        self.recorder: stack.EventRecorder | None = None
        self.routes = template.routes()
        self.jwks = issuer.jwks()
        self.cors_headers = _cors_headers(template.load())
        # Bound now (so port 0 gets its number) but listening only once the stack is ready.
        super().__init__(("127.0.0.1", port), ApiGatewayHandler, bind_and_activate=False)
        try:
            self.server_bind()
        except OSError as error:
            self.server_close()
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(port) from None
            raise


def _cors_headers(loaded: dict[str, Any]) -> dict[str, str]:
    """The CORS headers API Gateway adds, from the template's CorsConfiguration (with the
    default origins: locally the condition holds)."""
    settings = loaded["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]["Fn::If"][1]
    return {
        "Access-Control-Allow-Origin": loaded["Parameters"]["CorsAllowOrigins"]["Default"],
        "Access-Control-Allow-Headers": ",".join(settings["AllowHeaders"]),
        "Access-Control-Allow-Methods": ",".join(settings["AllowMethods"]),
        "Access-Control-Expose-Headers": ",".join(settings["ExposeHeaders"]),
    }


class PortInUse(Exception):
    def __init__(self, port: int) -> None:
        super().__init__(
            f"Port {port} is in use (another `make run`?): stop it, or choose another, e.g. PORT={port + 1} make run"
        )


def start(
    port: int, feed_stream: bool = True, schedule_every: float | None = None
) -> tuple[LocalApi, Callable[[], None]]:
    """Stand-ins up, resources created, environment set; S3 events bridged to the registration
    function, the table's stream fed to the projector (unless `feed_stream` is false: benchmarks
    of a table seeded with hundreds of thousands of items), published events recorded, scheduled
    functions run at their rate (or every `schedule_every` seconds); then the API port opened."""
    api = LocalApi(port, stack.FunctionHost())
    port = api.server_address[1]
    dynamodb_endpoint, s3_endpoint, stop_stand_ins = stack.start_aws_stand_ins()
    jwks_url = f"http://127.0.0.1:{port}{JWKS_PATH}"
    stack.apply_environment(stack.function_environment(jwks_url, dynamodb_endpoint, s3_endpoint))
    recorded_events = stack.create_resources(dynamodb_endpoint, s3_endpoint)
    api.recorder = stack.EventRecorder(s3_endpoint, recorded_events)
    workers: list[stack.Worker] = [
        stack.MediaEventBridge(api.host, s3_endpoint, stack.subscribe_media_events(s3_endpoint)),
        api.recorder,
    ]
    if feed_stream:
        feed = stack.StreamFeed(api.host, dynamodb_endpoint, stack.LOCAL_TABLE)
        api.host.after_invocation.append(feed.wake)
        workers.append(feed)
    workers += stack.schedules(api.host, schedule_every)
    for worker in workers:
        worker.start()
    api.server_activate()

    def stop() -> None:
        for worker in workers:
            worker.stop()
        stop_stand_ins()

    return api, stop


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    schedule_every = float(os.environ["SCHEDULE_EVERY"]) if os.environ.get("SCHEDULE_EVERY") else None
    in_memory = not os.environ.get("DYNAMODB_ENDPOINT")  # moto's, gone at the end
    try:
        api, stop_stand_ins = start(port, schedule_every=schedule_every)
    except PortInUse as refused:
        sys.exit(str(refused))
    url = f"http://127.0.0.1:{api.server_address[1]}"
    running = RunningStack(
        url, url + JWKS_PATH, os.environ["DYNAMODB_ENDPOINT"], os.environ["S3_ENDPOINT"], os.getpid()
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=api.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    running.record()
    print(
        f"LMS API on {url} (DynamoDB {running.dynamodb_endpoint}, S3 {running.s3_endpoint}); "
        f"get a token with `make token`; Ctrl-C stops it{', and the data with it' if in_memory else ''}.",
        flush=True,
    )
    try:
        api.serve_forever()
    finally:
        running.forget()
        api.server_close()
        stop_stand_ins()


if __name__ == "__main__":
    main()
