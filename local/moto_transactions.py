"""moto's DynamoDB as the local stack serves it: its requests one at a time, and its
transactions with one backup per table, not one per item.

moto applies a request in steps with nothing held across them, so two requests at once can
interleave (as `make run`'s execution environments, side by side, send them): two transactions
could both pass a condition only one of them should, and the backups below are one set for the
server. DynamoDB, and DynamoDB Local, apply each request atomically; `MotoServer` applies
DynamoDB's (and its streams') one at a time. The other services' requests are not held up by
them, nor they by an SQS long poll.

To roll a transaction back, moto (5.2.5, `DynamoDBBackend.transact_write_items`) keeps a deep copy
of every table the transaction names, and takes it once per item of the transaction: a
100-item transaction on a table of 300 items copied 30,000 items, and the tests "past one
transaction" spent most of their time there. Every copy is taken before the first write, so
they are all alike; keeping the first is the same backup and the same rollback."""

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb import models
from moto.dynamodb.models.table import Table
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

DYNAMODB_TARGETS = ("DynamoDB_", "DynamoDBStreams_")  # X-Amz-Target of DynamoDB's API and its streams'


class DynamoDBInTurn:
    """A WSGI application that hands DynamoDB's requests to moto's one at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app, self.turn = app, threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGETS):
            return self.app(environ, start_response)
        with self.turn:
            return list(self.app(environ, start_response))  # the whole answer made in its turn


class MotoServer(ThreadedMotoServer):
    """moto's threaded server (moto 5.2.5's own start-up), its DynamoDB requests in turn."""

    def _server_entry(self) -> None:
        app = DynamoDBInTurn(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


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
