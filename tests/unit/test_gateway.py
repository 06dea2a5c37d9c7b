"""`make run`'s API Gateway in front of the functions (local.server.ApiGateway), driven as uvicorn
drives it (ASGI), over functions that stand in for the real ones: a function flooded with
requests starves no other, as Lambda scales each apart, and one that answers too late gets API
Gateway's own 503."""

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, cast

import pytest

from local import server, stack, template


class Standing:
    """Functions that answer at once, but CoursesFunction's, which wait until released."""

    def __init__(self) -> None:
        self.functions: Mapping[str, template.Function] = template.functions()
        self.after_invocation: list[Callable[[], None]] = []
        self.released = threading.Event()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        if logical_id == "CoursesFunction":
            self.released.wait(30)
        return {"statusCode": 200, "body": json.dumps({"function": logical_id})}


async def request(gateway: server.ApiGateway, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
    }
    await gateway(scope, receive, send)
    return sent[0]["status"], sent[1]["body"]


def gateway_over(host: Standing) -> server.ApiGateway:
    return server.ApiGateway(
        cast(stack.Host, host), "http://127.0.0.1:0", cast(stack.EventRecorder, None), threads_per_function=16
    )


def test_a_function_flooded_with_requests_starves_no_other() -> None:
    host = Standing()

    async def scenario() -> tuple[int, bytes]:
        gateway = gateway_over(host)
        flood = [asyncio.ensure_future(request(gateway, "/api/courses")) for _ in range(200)]
        await asyncio.sleep(0.2)  # every thread the courses function may have is waiting
        other = await asyncio.wait_for(request(gateway, "/api/enrollments"), 5)
        host.released.set()
        await asyncio.gather(*flood)
        return other

    assert asyncio.run(scenario()) == (200, b'{"function": "EnrollmentsFunction"}')


def test_a_function_that_answers_too_late_gets_api_gateways_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "INTEGRATION_TIMEOUT_SECONDS", 0.2)
    host = Standing()
    try:
        answer = asyncio.run(request(gateway_over(host), "/api/courses"))
    finally:
        host.released.set()
    assert answer == (503, b'{"message":"Service Unavailable"}')
