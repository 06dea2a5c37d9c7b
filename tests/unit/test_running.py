"""The running stack's record (.local/stack.json): found while its process lives, not after."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from local.running import RunningStack, running


@pytest.fixture
def stack_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "stack.json"
    monkeypatch.setenv("LMS_STACK_FILE", str(path))
    return path


def a_stack(pid: int) -> RunningStack:
    return RunningStack("http://127.0.0.1:3999", "http://127.0.0.1:3999/jwks", "http://db", "http://s3", pid)


def test_a_recorded_stack_is_found_while_its_process_lives_and_forgotten_by_itself(stack_file: Path) -> None:
    stack = a_stack(os.getpid())
    stack.record()

    assert running() == stack
    assert list(stack_file.parent.iterdir()) == [stack_file]  # no file written aside is left
    stack.forget()
    assert running() is None
    assert not stack_file.exists()


def test_a_record_left_by_a_killed_stack_or_broken_is_no_stack(stack_file: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    a_stack(int(ended.stdout)).record()
    assert running() is None

    stack_file.write_text("{not json")
    assert running() is None


def test_a_stack_does_not_forget_the_record_of_another_started_since(stack_file: Path) -> None:
    first, second = a_stack(os.getpid()), RunningStack("http://127.0.0.1:4000", "j", "d", "s", os.getpid())
    first.record()
    second.record()

    first.forget()

    assert running() == second


def test_a_second_stack_that_stops_puts_back_the_record_of_the_first_still_running(stack_file: Path) -> None:
    first, second = a_stack(os.getpid()), RunningStack("http://127.0.0.1:8080", "j", "d", "s", os.getpid())
    first.record()
    second.record()
    assert running() == second

    second.forget()
    assert running() == first
    first.forget()
    assert not stack_file.exists()
