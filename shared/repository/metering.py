"""Count the DynamoDB requests the repositories make, to hold endpoints to their budget.

Uses PynamoDB's send signals (blinker), which fire once per API call whatever the model,
connection or thread: the local stack and the tests have blinker, Lambda does not need it."""

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from pynamodb.connection.base import Connection
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


CAPACITY_OPERATIONS = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
}  # fmt: skip


@dataclass
class CapacityMeter:
    """`with CapacityMeter() as meter: ...` then `meter.calls`: each DynamoDB call with the capacity
    units it consumed, as the engine reports them (DynamoDB Local does; moto does not). Every
    request is asked to return them through the one funnel PynamoDB's clients share,
    `Connection._make_api_call` (in benchmarks and tests only)."""

    calls: list[tuple[str, float]] = field(default_factory=list)
    _unpatched: Any = None

    @property
    def units(self) -> float:
        return round(sum(units for _, units in self.calls), 2)

    def __enter__(self) -> Self:
        make_api_call = self._unpatched = Connection._make_api_call
        meter = self

        def metered(connection: Connection, operation: str, params: dict[str, Any]) -> Any:
            if operation in CAPACITY_OPERATIONS:
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            parsed = make_api_call(connection, operation, params)
            consumed = parsed.get("ConsumedCapacity") or []
            entries = consumed if isinstance(consumed, list) else [consumed]
            meter.calls.append((operation, sum(float(entry.get("CapacityUnits", 0)) for entry in entries)))
            return parsed

        setattr(Connection, "_make_api_call", metered)  # noqa: B010 - a deliberate patch
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        setattr(Connection, "_make_api_call", self._unpatched)  # noqa: B010
