"""moto's DynamoDB as the local stack serves it: its requests one at a time, and its
transactions with one backup per table, not one per item.

moto applies a request in steps with nothing held across them, so two requests at once can
interleave (as `make run`'s execution environments, side by side, send them): two transactions
could both pass a condition only one of them should, and the backups below are one set for the
server. DynamoDB, and DynamoDB Local, apply each request atomically; `MotoServer` applies
DynamoDB's (and its streams') one at a time, and honours a transaction's ClientRequestToken. The
other services' requests are not held up by them, nor they by an SQS long poll.

To roll a transaction back, moto (5.2.5, `DynamoDBBackend.transact_write_items`) keeps a deep copy
of every table the transaction names, and takes it once per item of the transaction: a
100-item transaction on a table of 300 items copied 30,000 items, and the tests "past one
transaction" spent most of their time there. Every copy is taken before the first write, so
they are all alike; keeping the first is the same backup and the same rollback."""

import copy
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.model_instances import model_data
from moto.dynamodb import models
from moto.dynamodb.models.table import Table
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

DYNAMODB_TARGETS = ("DynamoDB_", "DynamoDBStreams_")  # X-Amz-Target of DynamoDB's API and its streams'


TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
REMEMBERED_TOKENS = 10_000  # DynamoDB keeps a token 10 minutes; this many is more than a local run sends


class DynamoDBInTurn:
    """A WSGI application that hands DynamoDB's requests to moto's one at a time, and answers a
    transaction sent again with its ClientRequestToken as DynamoDB does: with the first answer,
    not applied twice. moto ignores the token, so an SDK's retry of a transaction that was
    applied but answered late (its read timed out) failed its own conditions: a stored write
    answered 409 or 500, and an Idempotency-Key retry made a second course."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app, self.turn = app, threading.Lock()
        self.answered: OrderedDict[str, tuple[bytes, str, list[tuple[str, str]], bytes]] = OrderedDict()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(DYNAMODB_TARGETS):
            return self.app(environ, start_response)
        token = None
        if target == TRANSACT_WRITE:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            token = _token(body)
        with self.turn:  # the whole answer made in its turn
            if token is not None and token in self.answered and self.answered[token][0] == body:
                _, status, headers, answer = self.answered[token]
                start_response(status, headers)
                return [answer]
            if token is None:
                return list(self.app(environ, start_response))
            given: list[Any] = []
            answer = b"".join(self.app(environ, lambda status, headers, *rest: given.extend((status, headers))))
            self.answered[token] = (body, given[0], list(given[1]), answer)
            if len(self.answered) > REMEMBERED_TOKENS:
                self.answered.popitem(last=False)
            start_response(given[0], given[1])
            return [answer]


def _token(body: bytes) -> str | None:
    try:
        token = json.loads(body).get("ClientRequestToken")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) else None


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
            # moto (5.2.5) keeps every model object it makes, for its dashboard, the backup's
            # copies too: a copy of the table per transaction, never freed (gigabytes after a few
            # hundred transactions on a table of a few thousand items).
            for model in model_data["dynamodb"].values():
                model.instances_tracked.clear()  # type: ignore[attr-defined]

    with (
        mock.patch.object(models, "copy", stand_in),
        mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items),
    ):
        yield
