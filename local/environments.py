"""Lambda's execution environments, locally: each function's real handler in worker processes of
its own, each serving one event at a time, as Lambda runs a function.

An environment is started when an event finds none of its function's free (a cold start: its
INIT_START line, and the Init Duration on its first REPORT), up to the function's limit; beyond
that, an event waits for one to be free (where AWS would throttle). A free environment is reused
while warm, and one left idle longer than `warm_seconds` is stopped, so the next event starts
another. An environment that outlives its function's timeout, or dies, is stopped and replaced.

Separate processes are not only Lambda's shape but what keeps requests apart: Powertools keeps
the current event on a class attribute every resolver of a process shares, so two functions
answering in one process would read each other's requests.

Events and answers cross as JSON, as they do in Lambda (an answer JSON cannot carry fails)."""

import importlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from local import template
from local.stack import LambdaContext, tell_after_invocation

RUNTIME_VERSION = "python:3.13"
DEFAULT_CONCURRENCY = 8  # environments per function; FUNCTION_CONCURRENCY sets another
WARM_SECONDS = 15 * 60  # about as long as Lambda keeps an idle environment
# Lambda gives an environment's start 10 s, then tries it again within the invocation's timeout.
INIT_SECONDS = 10
TIMED_OUT = {"errorMessage": "Init timed out"}


class FunctionError(Exception):
    """The invocation failed as Lambda reports it: the handler raised, timed out, or its
    environment died (API Gateway answers 500)."""


def _print_to_stderr(line: str) -> None:
    sys.stderr.write(f"{line}\n")  # one write: a line printed by another thread cannot split it
    sys.stderr.flush()


@dataclass
class _Environment:
    """One worker process, and how long its start took until it was first used."""

    function: template.Function
    process: BaseProcess
    connection: Connection
    init_ms: float | None  # reported on the first REPORT, then None
    last_used: float = field(default_factory=time.monotonic)

    def invoke(self, request_id: str, event: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The handler's answer and the environment's peak memory (MB)."""
        try:
            self.connection.send_bytes(json.dumps({"requestId": request_id, "event": event}).encode())
            if not self.connection.poll(self.function.timeout):
                raise _Lost(f"Task timed out after {self.function.timeout:.2f} seconds")
            outcome = json.loads(self.connection.recv_bytes())
        except (EOFError, OSError):  # it died, busy or while it waited
            raise _Lost("Runtime exited without providing a reason") from None
        if "errorMessage" in outcome:
            raise FunctionError(f"{self.function.logical_id}: {outcome['errorType']}: {outcome['errorMessage']}")
        answer: dict[str, Any] = outcome["answer"]
        return answer, outcome["maxMemoryUsedMB"]

    def stop(self) -> None:
        self.connection.close()
        self.process.kill()
        self.process.join(timeout=5)


class _Lost(FunctionError):
    """The environment cannot serve again: it timed out or its process ended."""


class ExecutionEnvironments:
    """The functions of template.yaml (or `functions`), each in environments of its own, at most
    `concurrency` of them per function. `invoke` is called from any number of threads."""

    def __init__(
        self,
        functions: Mapping[str, template.Function] | None = None,
        concurrency: int | None = None,
        warm_seconds: float = WARM_SECONDS,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.functions = template.functions() if functions is None else functions
        self.concurrency = concurrency or int(os.environ.get("FUNCTION_CONCURRENCY") or DEFAULT_CONCURRENCY)
        self.warm_seconds, self.log = warm_seconds, log or _print_to_stderr
        # Told after each invocation but the projector's own (it may have written: the stream feed).
        self.after_invocation: list[Callable[[], None]] = []
        self._free: dict[str, list[_Environment]] = {name: [] for name in self.functions}
        self._running: dict[str, int] = dict.fromkeys(self.functions, 0)  # free and busy
        self._changed = threading.Condition()
        self._spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as Lambda's
        self._stopped = False

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        request_id = event.get("requestContext", {}).get("requestId") or str(uuid.uuid4())
        environment = self._acquire(logical_id)
        started = time.monotonic()
        try:
            answer, memory_used = environment.invoke(request_id, event)
        except _Lost as lost:
            self.log(f"{logical_id} {_timestamp()} {request_id} {lost}")
            self._discard(environment)
            raise
        except FunctionError:
            self._release(environment)
            raise
        finally:
            tell_after_invocation(logical_id, self.after_invocation)
        self._report(environment, request_id, (time.monotonic() - started) * 1000, memory_used)
        self._release(environment)
        return answer

    def _report(self, environment: _Environment, request_id: str, duration_ms: float, memory_used: int) -> None:
        """Lambda's REPORT line, with the Init Duration on an environment's first."""
        function = environment.function
        line = (
            f"{function.logical_id} REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {function.memory_size} MB\t"
            f"Max Memory Used: {memory_used} MB"
        )
        if environment.init_ms is not None:
            line += f"\tInit Duration: {environment.init_ms:.2f} ms"
            environment.init_ms = None
        self.log(line)

    def _acquire(self, logical_id: str) -> _Environment:
        """A free warm environment of the function, or a new one if it has fewer than its limit;
        otherwise wait for one to be free."""
        function = self.functions[logical_id]
        with self._changed:
            while True:
                if self._stopped:
                    raise FunctionError("The local stack is stopping")
                free = self._free[logical_id]
                for environment in [each for each in free if not self._usable(each)]:
                    free.remove(environment)
                    self._stop_unlocked(environment)
                if free:
                    return free.pop()
                if self._running[logical_id] < self.concurrency:
                    self._running[logical_id] += 1
                    break
                self._changed.wait()
        try:
            return self._start(function)
        except BaseException:
            with self._changed:
                self._running[logical_id] -= 1
                self._changed.notify_all()
            raise

    def _usable(self, environment: _Environment) -> bool:
        """Still warm (Lambda reclaims an idle environment), and alive (it may have ended idle)."""
        return time.monotonic() - environment.last_used <= self.warm_seconds and environment.process.is_alive()

    def _start(self, function: template.Function) -> _Environment:
        started = time.monotonic()
        ours, theirs = self._spawn.Pipe()
        process = self._spawn.Process(
            target=serve, args=(theirs, function), name=f"{function.logical_id}-environment", daemon=True
        )
        process.start()
        theirs.close()
        self.log(f"{function.logical_id} INIT_START Runtime Version: {RUNTIME_VERSION} (worker process {process.pid})")
        environment = _Environment(function, process, ours, None)
        try:
            ready = json.loads(ours.recv_bytes()) if ours.poll(INIT_SECONDS + function.timeout) else TIMED_OUT
        except (EOFError, OSError):
            ready = {"errorMessage": "Runtime exited without providing a reason"}
        if "errorMessage" in ready:
            environment.stop()
            self.log(f"{function.logical_id} INIT_REPORT Status: error\t{ready['errorMessage']}")
            raise FunctionError(f"{function.logical_id} could not start: {ready['errorMessage']}")
        environment.init_ms = (time.monotonic() - started) * 1000
        return environment

    def _release(self, environment: _Environment) -> None:
        environment.last_used = time.monotonic()
        with self._changed:
            if self._stopped:
                environment.stop()
            else:
                self._free[environment.function.logical_id].append(environment)
            self._changed.notify_all()

    def _discard(self, environment: _Environment) -> None:
        with self._changed:
            self._stop_unlocked(environment)
            self._changed.notify_all()

    def _stop_unlocked(self, environment: _Environment) -> None:
        environment.stop()
        self._running[environment.function.logical_id] -= 1

    def stop(self) -> None:
        """Stop every free environment now, and each busy one as its invocation ends."""
        with self._changed:
            self._stopped = True
            for free in self._free.values():
                while free:
                    self._stop_unlocked(free.pop())
            self._changed.notify_all()

    def started(self, logical_id: str) -> int:
        """How many environments of the function run (free or busy)."""
        with self._changed:
            return self._running[logical_id]


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def serve(connection: Connection, function: template.Function) -> None:
    """The worker process: Lambda's variables for the function, its handler imported (the INIT
    phase), then one event at a time until the host goes."""
    # Ctrl-C reaches the terminal's whole process group; the host stops its environments itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(
        AWS_LAMBDA_FUNCTION_NAME=function.logical_id,  # Powertools' idempotency keys name it
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
    )
    try:
        handler = getattr(importlib.import_module(function.module), function.attribute)
    except Exception as error:
        traceback.print_exc()
        connection.send_bytes(json.dumps(_error("Runtime.ImportModuleError", error)).encode())
        return
    connection.send_bytes(b"{}")
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except (EOFError, OSError):  # the host has gone
            return
        context = LambdaContext(function.logical_id, request["requestId"], function.memory_size, function.timeout)
        try:
            answer = handler(request["event"], context)
        except Exception as error:  # Lambda's answer for an unhandled error; the environment stays
            traceback.print_exc()
            connection.send_bytes(json.dumps(_error(type(error).__name__, error)).encode())
            continue
        try:
            reply = json.dumps({"answer": answer, "maxMemoryUsedMB": _max_memory_used_mb()})
        except (TypeError, ValueError) as error:  # what Lambda cannot send back either
            reply = json.dumps(_error("Runtime.MarshalError", error))
        connection.send_bytes(reply.encode())


def _error(kind: str, error: Exception) -> dict[str, str]:
    return {"errorType": kind, "errorMessage": str(error)}


def _max_memory_used_mb() -> int:
    """The process's peak resident memory. Not getrusage's ru_maxrss: Linux carries that over
    from the parent across exec, so a worker started by a large server reported the server's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024  # kB
    return 0
