"""`make run`: the API on 127.0.0.1:$PORT, as API Gateway would serve it, with no AWS account.

uvicorn serves HTTP; each route's function runs in execution environments of its own, worker
processes started on demand (local.environments). AWS stand-ins (moto server) take free
ephemeral ports unless DYNAMODB_ENDPOINT / S3_ENDPOINT point elsewhere (DynamoDB Local, or AWS
itself). The API port opens only once all is ready."""

import asyncio
import errno
import json
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from local import apigw, issuer, openapi, stack, template
from local.environments import ExecutionEnvironments
from local.running import RunningStack

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

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


class ApiGateway:
    """API Gateway (HTTP API) in front of the functions, as an ASGI application: uvicorn speaks
    HTTP; this turns each request into its route's event, hands it to the function's execution
    environment and turns the answer into the response. Beside the routes, the issuer's keys, the
    API document and the events published so far."""

    def __init__(self, host: stack.Host, url: str, recorder: stack.EventRecorder, threads_per_function: int) -> None:
        self.host, self.url, self.recorder = host, url, recorder
        self.routes = template.routes()
        self.jwks = json.dumps(issuer.jwks()).encode()
        self.cors_headers = _cors_headers(template.load())
        # An invocation waits, in a thread of its own, for its environment's answer (or for an
        # environment, when all its function may have are busy); more wait in the pool's queue.
        # One pool per function, as Lambda scales each apart: a flood of one starves no other.
        self.invocations = {
            name: ThreadPoolExecutor(max_workers=threads_per_function, thread_name_prefix=f"{name}-invocation")
            for name in host.functions
        }
        self.reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="events")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets are switched off
            return
        try:
            status, headers, body = await self._answer(scope, receive)
        except _Disconnected:
            return
        head = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        head = [(name, value) for name, value in head if name != b"content-length"]
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [*head, (b"content-length", str(len(body)).encode())],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: dict[str, Any], receive: Receive) -> tuple[int, dict[str, str], bytes]:
        method, path = scope["method"], (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:  # a repeated header is joined, as API Gateway does
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        if method == "OPTIONS":
            return HTTPStatus.NO_CONTENT, self.cors_headers, b""
        if method == "GET" and path == JWKS_PATH:
            return HTTPStatus.OK, JSON, self.jwks
        if method == "GET" and path in (OPENAPI_PATH, DOCS_PATH):
            document = openapi.served_from(openapi.DOCUMENT.read_text(), self.url)
            # Swagger UI's own link to the document is /docs?format=json.
            if path == OPENAPI_PATH or parse_qs(scope["query_string"].decode("latin-1")).get("format") == ["json"]:
                return HTTPStatus.OK, JSON, document.encode()
            return HTTPStatus.OK, {"Content-Type": "text/html; charset=utf-8"}, swagger_page(document)
        if method == "GET" and path == EVENTS_PATH:
            recorded = await asyncio.get_running_loop().run_in_executor(self.reads, self.recorder.drain)
            return HTTPStatus.OK, JSON, json.dumps({"events": recorded}).encode()
        body = await _body(receive, headers)
        if body is None:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, JSON, b'{"message":"Request Entity Too Large"}'
        for route in self.routes:
            path_parameters = route.match(method, path)
            if path_parameters is not None:
                break
        else:  # API Gateway's own answer for a route it does not have
            return HTTPStatus.NOT_FOUND, JSON, b'{"message":"Not Found"}'
        client = scope.get("client") or ("127.0.0.1", 0)
        query = scope["query_string"].decode("latin-1")
        event = apigw.http_api_event(route, path_parameters, path, query, headers, body, client[0])
        invocation = asyncio.get_running_loop().run_in_executor(
            self.invocations[route.function], self.host.invoke, route.function, event
        )
        try:
            response = await asyncio.wait_for(invocation, INTEGRATION_TIMEOUT_SECONDS)
        except TimeoutError:  # API Gateway's own answer when the function is late (it runs on)
            return HTTPStatus.SERVICE_UNAVAILABLE, JSON, b'{"message":"Service Unavailable"}'
        except Exception:  # a function that fails is API Gateway's 500, as in AWS
            traceback.print_exc()
            return HTTPStatus.INTERNAL_SERVER_ERROR, JSON, b'{"message":"Internal Server Error"}'
        status, response_headers, raw = apigw.response_parts(response)
        return status, {**self.cors_headers, **response_headers}, raw


JSON = {"Content-Type": "application/json"}
INTEGRATION_TIMEOUT_SECONDS = 30  # API Gateway's (HTTP API) wait for a function's answer


class _Disconnected(Exception):
    """The client went before its request's body had all arrived."""


async def _body(receive: Receive, headers: Mapping[str, str]) -> bytes | None:
    """The request's body, or None past API Gateway's payload limit."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


# uvicorn's logging: each request on stderr (not stdout, which carries the banner), and only its
# warnings and errors besides.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {"()": "uvicorn.logging.AccessFormatter", "fmt": '%(client_addr)s "%(request_line)s" %(status_code)s'}
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "WARNING"},
    },
}


class LocalApi:
    """The API's socket, bound at once (so port 0 gets its number, and a port in use is known
    before anything starts), and uvicorn serving the gateway to `host`'s functions on it, in a
    thread of its own."""

    def __init__(self, port: int, host: ExecutionEnvironments) -> None:
        self.host = host  # the functions it serves
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
        except OSError as error:
            self.socket.close()
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(port) from None
            raise
        self.port: int = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def listen(self, gateway: ApiGateway) -> None:
        """Listen now (a connection made before uvicorn's loop runs waits for it), for `gateway`."""
        config = uvicorn.Config(
            gateway,
            lifespan="off",
            ws="none",
            server_header=False,
            log_config=LOGGING,
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.socket.listen(config.backlog)

    def serve(self) -> None:
        """Serve in this thread until stopped: in the main thread, uvicorn stops on SIGINT and
        SIGTERM (and raises the signal again once stopped, for the handler it found)."""
        assert self.server is not None, "listen first"
        self.server.run(sockets=[self.socket])

    def serve_in_background(self) -> None:
        self.thread = threading.Thread(target=self.serve, name="uvicorn")
        self.thread.start()

    def stop_serving(self) -> None:
        """Let the connections finish (5 s at most) and stop."""
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join()


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
    port: int,
    feed_stream: bool = True,
    schedule_every: float | None = None,
    log: Callable[[str], None] | None = None,
    in_background: bool = True,
) -> tuple[LocalApi, Callable[[], None]]:
    """Stand-ins up, resources created, environment set; S3 events bridged to the registration
    function, the table's stream fed to the projector (unless `feed_stream` is false: benchmarks
    of a table seeded with hundreds of thousands of items), published events recorded, scheduled
    functions run at their rate (or every `schedule_every` seconds); then the API served. Returns
    it (serving in a thread of its own, unless not `in_background`: then `api.serve()`) and what
    stops it all. The environments' INIT and REPORT lines go to `log` (or stderr)."""
    host = ExecutionEnvironments(log=log)  # started on demand, with the variables set below
    api = LocalApi(port, host)
    dynamodb_endpoint, s3_endpoint, stop_stand_ins = stack.start_aws_stand_ins()
    stack.apply_environment(stack.function_environment(api.url + JWKS_PATH, dynamodb_endpoint, s3_endpoint))
    recorder = stack.EventRecorder(s3_endpoint, stack.create_resources(dynamodb_endpoint, s3_endpoint))
    workers: list[stack.Worker] = [
        stack.MediaEventBridge(host, s3_endpoint, stack.subscribe_media_events(s3_endpoint)),
        recorder,
    ]
    if feed_stream:
        feed = stack.StreamFeed(host, dynamodb_endpoint, stack.LOCAL_TABLE)
        host.after_invocation.append(feed.wake)
        workers.append(feed)
    workers += stack.schedules(host, schedule_every)
    for worker in workers:
        worker.start()
    # Threads to wait on a function's environments: as many as it may have, and as many again queued.
    api.listen(ApiGateway(host, api.url, recorder, threads_per_function=2 * host.concurrency))
    if in_background:
        api.serve_in_background()

    def stop() -> None:
        api.stop_serving()
        for worker in workers:
            worker.stop()
        host.stop()
        stop_stand_ins()

    return api, stop


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    schedule_every = float(os.environ["SCHEDULE_EVERY"]) if os.environ.get("SCHEDULE_EVERY") else None
    in_memory = not os.environ.get("DYNAMODB_ENDPOINT")  # moto's, gone at the end
    try:
        api, stop_stack = start(port, schedule_every=schedule_every, in_background=False)
    except PortInUse as refused:
        sys.exit(str(refused))
    running = RunningStack(
        api.url, api.url + JWKS_PATH, os.environ["DYNAMODB_ENDPOINT"], os.environ["S3_ENDPOINT"], os.getpid()
    )
    # uvicorn handles the signals while it serves, then raises the one that stopped it again:
    # for these, which let the stack stop in order below.
    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, lambda signum, frame: None)
    running.record()
    print(
        f"LMS API on {api.url} (DynamoDB {running.dynamodb_endpoint}, S3 {running.s3_endpoint}); "
        f"get a token with `make token`; Ctrl-C stops it{', and the data with it' if in_memory else ''}.",
        flush=True,
    )
    try:
        api.serve()
    finally:
        running.forget()
        stop_stack()


if __name__ == "__main__":
    main()
