"""Count the DynamoDB requests the repositories make, to hold endpoints to their budget.

Uses PynamoDB's send signals (blinker), which fire once per API call whatever the model,
connection or thread: the local stack and the tests have blinker, Lambda does not need it."""

from types import TracebackType
from typing import Any, Self

from pynamodb.signals import post_dynamodb_send, pre_dynamodb_send

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


class RequestCounter:
    """`with RequestCounter() as counter: ...` then `counter.operations`, e.g. ["GetItem"], and
    `counter.answered`: those DynamoDB carried out (not a cancelled transaction or a failed condition)."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.answered: list[str] = []

    def _record(self, sender: Any, operation_name: str, **_: Any) -> None:
        self.operations.append(operation_name)

    def _record_answer(self, sender: Any, operation_name: str, **_: Any) -> None:
        self.answered.append(operation_name)

    @property
    def count(self) -> int:
        return len(self.operations)

    @property
    def writes_carried_out(self) -> list[str]:
        """The writes DynamoDB carried out: a refused request must have none."""
        return [operation for operation in self.answered if operation in WRITES]

    def __enter__(self) -> Self:
        pre_dynamodb_send.connect(self._record, weak=False)
        post_dynamodb_send.connect(self._record_answer, weak=False)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        pre_dynamodb_send.disconnect(self._record)
        post_dynamodb_send.disconnect(self._record_answer)
