"""Count the DynamoDB requests the repositories make, to hold endpoints to their budget.

Uses PynamoDB's pre-send signal (blinker), which fires once per API call whatever the model,
connection or thread: the local stack and the tests have blinker, Lambda does not need it."""

from types import TracebackType
from typing import Any, Self

from pynamodb.signals import pre_dynamodb_send


class RequestCounter:
    """`with RequestCounter() as counter: ...` then `counter.operations`, e.g. ["GetItem"]."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def _record(self, sender: Any, operation_name: str, **_: Any) -> None:
        self.operations.append(operation_name)

    @property
    def count(self) -> int:
        return len(self.operations)

    def __enter__(self) -> Self:
        pre_dynamodb_send.connect(self._record, weak=False)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        pre_dynamodb_send.disconnect(self._record)
