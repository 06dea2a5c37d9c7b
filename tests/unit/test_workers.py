"""The local stack's background loops at rest (issue 18): a loop that finds nothing waits longer
and longer, up to its idle interval, and is woken at once when there may be work."""

import json
import threading

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import UnexpectedBatchTypeError

from local.stack import FunctionHost, Schedule, Worker
from local.template import ROOT


class Counting(Worker):
    interval, idle_interval = 0.06, 0.48

    def __init__(self, busy: list[bool]) -> None:
        super().__init__("counting")
        self.busy, self.steps = busy, threading.Semaphore(0)
        self.waits: list[float] = []

    def step(self) -> bool:
        self.waits.append(self.wait)
        self.steps.release()
        return self.busy.pop(0) if self.busy else False


def test_an_idle_loop_backs_off_to_its_idle_interval_and_work_brings_it_back() -> None:
    worker = Counting([False, False, False, False, True, False])
    worker.start()
    for _ in range(7):
        assert worker.steps.acquire(timeout=5)
    worker.stop()
    assert worker.waits[:7] == [0.06, 0.12, 0.24, 0.48, 0.48, 0.06, 0.12]


def test_a_woken_loop_steps_at_once() -> None:
    worker = Counting([])
    worker.idle_interval = 60.0
    worker.wait = 60.0  # asleep for a minute
    worker.start()
    worker.wake()
    assert worker.steps.acquire(timeout=5)
    worker.stop()


def test_the_host_tells_its_listeners_after_each_invocation_but_the_projectors() -> None:
    host, told = FunctionHost(), []
    host.after_invocation.append(lambda: told.append(True))
    with pytest.raises(UnexpectedBatchTypeError):  # told or not, whatever the invocation answers
        host.invoke("StreamProjectorFunction", {"Records": []})
    assert told == []
    listed = json.loads((ROOT / "events" / "courses" / "list.json").read_text())  # its token: a placeholder
    assert host.invoke("CoursesFunction", listed)["statusCode"] == 401
    assert told == [True]


def test_a_schedule_first_runs_one_interval_after_the_start() -> None:
    ran = threading.Event()

    class Recording(FunctionHost):
        def invoke(self, logical_id: str, event: dict) -> dict:
            ran.set()
            return {}

    schedule = Schedule(Recording(), "EnrollmentExpiryFunction", 60.0)
    schedule.start()
    assert not ran.wait(1.0)  # it ran 0.2 s after the start, whatever the rate
    schedule.stop()
