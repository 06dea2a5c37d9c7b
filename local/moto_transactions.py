"""moto's DynamoDB transactions with one backup per table, not one per item.

To roll a transaction back, moto (5.2.5, `DynamoDBBackend.transact_write_items`) keeps a deep copy
of every table the transaction names, and takes it once per item of the transaction: a
100-item transaction on a table of 300 items copied 30,000 items, and the tests "past one
transaction" spent most of their time there. Every copy is taken before the first write, so
they are all alike; keeping the first is the same backup and the same rollback."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb import models
from moto.dynamodb.models.table import Table


class _CopyModule:
    """Stands in for the `copy` module inside moto.dynamodb.models: while a transaction is being
    applied, a table is deep-copied once and that copy handed out again."""

    def __init__(self) -> None:
        self.backups: dict[int, Table] | None = None

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if self.backups is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in self.backups:
            self.backups[id(value)] = copy.deepcopy(value, memo)
        return self.backups[id(value)]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@contextmanager
def one_backup_per_table() -> Iterator[None]:
    stand_in = _CopyModule()
    apply = models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: models.DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        stand_in.backups = {}
        try:
            apply(backend, transact_items)
        finally:
            stand_in.backups = None

    with (
        mock.patch.object(models, "copy", stand_in),
        mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items),
    ):
        yield
