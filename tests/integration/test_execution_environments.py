"""`make run`'s execution environments (local.environments), around a stand-in function: worker
processes started on demand up to the function's limit and reused while warm, serving side by
side, each one event at a time; a cold start logged as Lambda logs INIT; an environment that
times out or dies replaced; the handler's failures reported as Lambda reports them."""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.environments import ExecutionEnvironments, FunctionError
from local.template import Function

STAND_IN = Function("StandInFunction", "tests/support/", "environment_handler.lambda_handler", 256, 10)
QUICK = Function("QuickFunction", "tests/support/", "environment_handler.lambda_handler", 128, 1)
MISSING = Function("MissingFunction", "tests/support/", "no_such_module.lambda_handler", 128, 10)
PROJECTOR = Function("StreamProjectorFunction", "tests/support/", "environment_handler.lambda_handler", 128, 10)


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def host(log: list[str]) -> Iterator[ExecutionEnvironments]:
    functions = {function.logical_id: function for function in (STAND_IN, QUICK, MISSING, PROJECTOR)}
    environments = ExecutionEnvironments(functions, concurrency=2, log=log.append)
    yield environments
    environments.stop()


def in_parallel(host: ExecutionEnvironments, events: list[dict[str, Any]]) -> list[Any]:
    answers: list[Any] = [None] * len(events)

    def invoke(index: int) -> None:
        answers[index] = host.invoke("StandInFunction", events[index])

    threads = [threading.Thread(target=invoke, args=(index,)) for index in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def lines(log: list[str], kind: str) -> list[str]:
    return [line for line in log if line.split()[1] == kind]


def test_environments_start_on_demand_up_to_the_limit_and_serve_side_by_side(
    host: ExecutionEnvironments, log: list[str], tmp_path: Path
) -> None:
    met = in_parallel(host, [{"meet": str(tmp_path), "count": 2}] * 2)
    assert [answer["met"] for answer in met] == [True, True]  # both inside at once: not one after the other
    assert len({answer["pid"] for answer in met}) == 2

    more = in_parallel(host, [{}] * 6)  # more at once than the limit: they wait for the two
    assert {answer["pid"] for answer in more} == {answer["pid"] for answer in met}
    assert host.started("StandInFunction") == 2
    assert len(lines(log, "INIT_START")) == 2
    reports = lines(log, "REPORT")
    assert len(reports) == 8
    assert sum("Init Duration:" in line for line in reports) == 2  # each environment's first


def test_an_environment_is_reused_while_warm_and_replaced_once_cold(
    host: ExecutionEnvironments, log: list[str]
) -> None:
    first, second = host.invoke("StandInFunction", {}), host.invoke("StandInFunction", {})
    assert first["pid"] == second["pid"]
    assert len(lines(log, "INIT_START")) == 1

    host.warm_seconds = 0  # idle longer than an environment stays warm
    third = host.invoke("StandInFunction", {})
    assert third["pid"] != first["pid"]
    assert len(lines(log, "INIT_START")) == 2
    assert host.started("StandInFunction") == 1
    assert not alive(first["pid"])


def test_each_environment_has_its_functions_variables_and_context(host: ExecutionEnvironments) -> None:
    answer = host.invoke("StandInFunction", {"requestContext": {"requestId": "request-1"}})
    assert answer["functionName"] == answer["contextName"] == "StandInFunction"
    assert answer["memorySize"] == "256"
    assert answer["requestId"] == "request-1"
    assert 0 < answer["remainingMillis"] <= 10_000


def test_an_invocation_past_its_timeout_stops_its_environment(host: ExecutionEnvironments, log: list[str]) -> None:
    pid = host.invoke("QuickFunction", {})["pid"]
    with pytest.raises(FunctionError, match=r"Task timed out after 1\.00 seconds"):
        host.invoke("QuickFunction", {"sleep": 5})
    assert not alive(pid)
    assert host.started("QuickFunction") == 0
    assert host.invoke("QuickFunction", {})["pid"] != pid  # a new one serves the next
    assert any("Task timed out" in line for line in log)


def test_an_environment_that_dies_is_replaced(host: ExecutionEnvironments) -> None:
    pid = host.invoke("StandInFunction", {})["pid"]
    with pytest.raises(FunctionError, match="Runtime exited"):
        host.invoke("StandInFunction", {"exit": 3})
    assert host.started("StandInFunction") == 0
    assert host.invoke("StandInFunction", {})["pid"] != pid


def test_an_environment_that_died_while_free_is_replaced(host: ExecutionEnvironments) -> None:
    pid = host.invoke("StandInFunction", {})["pid"]
    os.kill(pid, 9)
    while alive(pid):  # the kill takes effect
        time.sleep(0.01)
    assert host.invoke("StandInFunction", {})["pid"] != pid  # the request is not lost with it
    assert host.started("StandInFunction") == 1


def test_a_handlers_error_is_reported_and_its_environment_stays_warm(host: ExecutionEnvironments) -> None:
    pid = host.invoke("StandInFunction", {})["pid"]
    with pytest.raises(FunctionError, match="StandInFunction: RuntimeError: broken"):
        host.invoke("StandInFunction", {"raise": "broken"})
    with pytest.raises(FunctionError, match=r"Runtime\.MarshalError"):
        host.invoke("StandInFunction", {"unserializable": True})
    assert host.invoke("StandInFunction", {})["pid"] == pid


def test_a_handler_that_cannot_be_imported_fails_its_init(host: ExecutionEnvironments, log: list[str]) -> None:
    with pytest.raises(FunctionError, match="MissingFunction could not start: No module named"):
        host.invoke("MissingFunction", {})
    assert host.started("MissingFunction") == 0
    assert lines(log, "INIT_REPORT") == [
        next(line for line in log if line.startswith("MissingFunction INIT_REPORT Status: error"))
    ]


def test_listeners_are_told_after_each_invocation_but_the_projectors(host: ExecutionEnvironments) -> None:
    told: list[bool] = []
    host.after_invocation.append(lambda: told.append(True))
    host.invoke("StreamProjectorFunction", {})
    assert told == []
    with pytest.raises(FunctionError):
        host.invoke("StandInFunction", {"raise": "told all the same"})
    assert told == [True]


def test_a_stopped_host_stops_its_environments_and_serves_no_more(host: ExecutionEnvironments) -> None:
    pid = host.invoke("StandInFunction", {})["pid"]
    host.stop()
    assert not alive(pid)
    with pytest.raises(FunctionError, match="stopping"):
        host.invoke("StandInFunction", {})


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child that ended but is not yet reaped is a zombie: gone, for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_an_environment_reports_its_own_peak_memory_not_its_hosts(host: ExecutionEnvironments, log: list[str]) -> None:
    ballast = b"x" * (400 * 1024 * 1024)  # the host's peak memory, well above any environment's
    host.invoke("StandInFunction", {})
    del ballast
    reported = int(lines(log, "REPORT")[0].split("Max Memory Used: ")[1].split(" MB")[0])
    assert 0 < reported < 300
