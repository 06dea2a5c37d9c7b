"""The single table: one PynamoDB item hierarchy, tenant-scoped keys, and transactions.

Every entity is a subclass of `LmsItem` told apart by `kind`, so one Query over an item
collection (a course with its modules and lesson links) returns typed objects in one request.
Table name and endpoint come from the settings on first use, never at import.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.session import Session as BotocoreSession
from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import PutError, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.faults import ATTEMPTS, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS
from shared.settings import get_settings

TENANT_PREFIX = "T"


def tenant_key(tenant_id: str, *parts: str) -> str:
    """A key inside one tenant: every key the repositories form starts with the caller's tenant."""
    return "#".join((TENANT_PREFIX, tenant_id, *parts))


def tenant_and_id(key: str) -> tuple[str, str]:
    """The tenant and the entity's id in a key `T#<tenant>#<KIND>#<id>` (a tenant holds no `#`)."""
    _, tenant_id, _, entity_id = key.split("#", 3)
    return tenant_id, entity_id


class ListIndex(GlobalSecondaryIndex["LmsItem"]):
    """Tenant-wide lists, newest first: the tenant's courses, the tenant's enrollments."""

    class Meta:
        index_name = "ListIndex"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class LookupIndex(GlobalSecondaryIndex["LmsItem"]):
    """Items found by their own id, each heading a partition of what belongs to it: a module (its
    submodules' copies, its links), a media record (its uses), an enrollment."""

    class Meta:
        index_name = "LookupIndex"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class UserIndex(GlobalSecondaryIndex["LmsItem"]):
    """What belongs to one user of a tenant: their enrollments."""

    class Meta:
        index_name = "UserIndex"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(range_key=True, attr_name="GSI3SK")


class ExpiryIndex(GlobalSecondaryIndex["LmsItem"]):
    """Sparse, across tenants: active enrollments that have an end, by end time, for the expiry job."""

    class Meta:
        index_name = "ExpiryIndex"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True, attr_name="GSI4PK")
    gsi4sk = UnicodeAttribute(range_key=True, attr_name="GSI4SK")


class LmsItem(Model):
    """Base of every item in the table."""

    class Meta:
        table_name = "lms"  # replaced from the settings when the first connection is made
        # The budget every AWS client has (shared/faults.py): PynamoDB's defaults (15 s to connect,
        # 30 s to read) would outlast the function.
        connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        read_timeout_seconds = READ_TIMEOUT_SECONDS
        max_retry_attempts = ATTEMPTS - 1

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    kind = DiscriminatorAttribute(attr_name="kind")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    gsi3pk = UnicodeAttribute(null=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(null=True, attr_name="GSI3SK")
    gsi4pk = UnicodeAttribute(null=True, attr_name="GSI4PK")
    gsi4sk = UnicodeAttribute(null=True, attr_name="GSI4SK")

    list_index = ListIndex()
    lookup_index = LookupIndex()
    user_index = UserIndex()
    expiry_index = ExpiryIndex()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """One connection for every item class. PynamoDB would give each class its own, each with
        its own botocore session and client, loading DynamoDB's service model again: a cold start
        paid that once per kind of item it touched (90–160 ms each), and the tests once per test."""
        if LmsItem._connection is None:
            settings = get_settings()
            LmsItem.Meta.table_name = settings.table_name
            LmsItem.Meta.host = settings.dynamodb_endpoint  # type: ignore[attr-defined]
            LmsItem.Meta.region = settings.aws_region  # type: ignore[attr-defined]
            LmsItem._connection = super(LmsItem, LmsItem)._get_connection()
        return LmsItem._connection


def first_of[T](items: Iterable[LmsItem], kind: type[T]) -> T | None:
    """The first item of `kind` among items read together (a Query of a collection, a batch)."""
    return next((item for item in items if isinstance(item, kind)), None)


def reset_connections() -> None:
    """Forget the items' connection so the next request reads the settings again (tests)."""
    get_settings.cache_clear()
    LmsItem._connection = None


def _connection() -> Connection:
    table_connection: Any = LmsItem._get_connection()
    connection: Connection = table_connection.connection
    return connection


def botocore_session() -> BotocoreSession:
    """The botocore session PynamoDB uses for the table (one per thread), for other clients to share."""
    return _connection().session


TRANSACTION_LIMIT = 100
CONDITION_FAILED = "ConditionalCheckFailed"
# Another transaction held one of the items at that moment; DynamoDB asks for a retry.
TRANSACTION_CONFLICT = "TransactionConflict"
TRANSACTION_CANCELED = "TransactionCanceledException"


class ConcurrentModification(Exception):
    """The item changed between our read and our write, or another transaction held it: retry."""


def condition_failed(error: PynamoDBException) -> bool:
    """Whether a single-item write failed on its condition (rather than on anything else)."""
    return answered_code(error) == "ConditionalCheckFailedException"


def answered_code(error: PynamoDBException) -> str | None:
    """The error code DynamoDB answered, or None when it gave no answer (a fault of the connection:
    PynamoDB's own `cause_response_code` fails on those, whose `response` is None)."""
    answer = getattr(error.cause, "response", None) or {}
    code: str | None = answer.get("Error", {}).get("Code")
    return code


class Cancelled(Exception):
    """A transaction DynamoDB cancelled, with the reason for each write that was given a name."""

    def __init__(self, reasons: dict[str, str], conflict: bool) -> None:
        super().__init__(f"transaction cancelled: reasons {reasons}, conflict {conflict}")
        self.reasons = reasons
        self.conflict = conflict

    def failed(self, name: str) -> bool:
        """Whether the condition of the write called `name` is what failed."""
        return self.reasons.get(name) == CONDITION_FAILED


class Transaction:
    """The writes of one TransactWriteItems. DynamoDB reports a cancellation per position, and
    PynamoDB orders writes by kind (checks, deletes, puts, updates), so each write may be named
    and `Cancelled` says which named write failed."""

    def __init__(self, writes: TransactWrite) -> None:
        self._writes = writes
        self._names: dict[str, list[str | None]] = {"check": [], "delete": [], "put": [], "update": []}
        self._refusals: dict[str, Callable[[], Exception]] = {}

    def __len__(self) -> int:
        """How many writes (and checks) it holds so far."""
        return sum(len(names) for names in self._names.values())

    def save(self, item: LmsItem, condition: Condition | None = None, name: str | None = None) -> None:
        self._writes.save(item, condition=condition)
        self._names["put"].append(name)

    def delete(self, item: LmsItem, condition: Condition | None = None, name: str | None = None) -> None:
        self._writes.delete(item, condition=condition)
        self._names["delete"].append(name)

    def update(
        self,
        item: LmsItem,
        actions: Sequence[Action],
        condition: Condition | None = None,
        name: str | None = None,
        versioned: bool = True,
        refusal: Callable[[], Exception] | None = None,
    ) -> None:
        """`refusal`, with a name: what the transaction raises when this write's condition fails
        (whatever the caller catches), for a condition every writer shares."""
        self._writes.update(item, list(actions), condition=condition, add_version_condition=versioned)
        self._names["update"].append(name)
        if name and refusal:
            self._refusals[name] = refusal

    def check(self, model: type[LmsItem], key: tuple[str, str], condition: Condition, name: str | None = None) -> None:
        self._writes.condition_check(model, key[0], key[1], condition=condition)
        self._names["check"].append(name)

    def cancelled(self, error: TransactWriteError) -> Cancelled:
        names = [*self._names["check"], *self._names["delete"], *self._names["put"], *self._names["update"]]
        codes = [reason.code if reason is not None else None for reason in error.cancellation_reasons]
        reasons = {name: code for name, code in zip(names, codes, strict=False) if name and code and code != "None"}
        return Cancelled(reasons, conflict=TRANSACTION_CONFLICT in codes)

    def refusal(self, cancelled: Cancelled) -> Exception | None:
        """The refusal of a write whose condition failed, if it named one."""
        return next((refusal() for name, refusal in self._refusals.items() if cancelled.failed(name)), None)


def concurrent_change(cancelled: Cancelled, item_id: str, *names: str) -> Exception:
    """ConcurrentModification when another writer caused the cancellation (a conflict, or a
    failed condition on one of `names`); otherwise the cancellation itself, to re-raise."""
    if cancelled.conflict or any(cancelled.failed(name) for name in names):
        return ConcurrentModification(item_id)
    return cancelled


@contextmanager
def transaction() -> Iterator[Transaction]:
    """One TransactWriteItems over the table: every write in it happens, or none does (Cancelled).
    Its client request token makes botocore's retries of it (after a dropped connection or a
    timeout, when it may have been applied) idempotent: DynamoDB applies it once and answers each.
    A failure that is not a cancellation (a fault) is raised as it is."""
    writes = TransactWrite(connection=_connection(), client_request_token=str(uuid.uuid4()))
    pending = Transaction(writes)
    try:
        with writes:
            yield pending
    except TransactWriteError as error:
        if answered_code(error) != TRANSACTION_CANCELED:
            raise
        cancelled = pending.cancelled(error)
        raise pending.refusal(cancelled) or cancelled from error


def write_in_transactions[T](
    write: Callable[[Transaction, T], None], items: Sequence[T], writes_per_item: Callable[[T], int] = lambda _: 1
) -> None:
    """Apply `write` to each item, in as many transactions of up to 100 writes as it takes; an
    item's writes (`writes_per_item`) stay in one transaction."""
    start = 0
    while start < len(items):
        end, size = start, 0
        while end < len(items) and (end == start or size + writes_per_item(items[end]) <= TRANSACTION_LIMIT):
            size += writes_per_item(items[end])
            end += 1
        with transaction() as writes:
            for item in items[start:end]:
                write(writes, item)
        start = end


def delete_with_children(
    head: LmsItem,
    head_condition: Condition,
    children: Sequence[LmsItem],
    also: Callable[[Transaction], None] | None = None,
    room_for_also: int = 0,
    after_batches: Callable[[], None] | None = None,
) -> None:
    """Delete `head` (under `head_condition`, named "head") with its children: those that fit go
    in the head's transaction, with the writes `also` adds (`room_for_also` of them); the rest
    are deleted first in batches (then `after_batches` runs), so a failure part-way leaves the
    head in place, to be deleted again."""
    room = TRANSACTION_LIMIT - 1 - room_for_also
    overflow, rest = children[room:], children[:room]
    if overflow:
        with LmsItem.batch_write() as batch:
            for child in overflow:
                batch.delete(child)
        if after_batches:
            after_batches()
    with transaction() as writes:
        writes.delete(head, condition=head_condition, name="head")
        for child in rest:
            writes.delete(child)
        if also:
            also(writes)


def save_once(item: LmsItem, condition: Condition | None = None) -> None:
    """Save `item` under `condition` (and its version's), as one PutItem. botocore sends a write
    again when its answer was lost (a dropped connection, a timeout), and if the first one landed,
    the second fails its condition on the very item it stored: an item stored as this one is
    (but for its version) is that, and counts as written. Raises the PutError otherwise."""
    try:
        item.save(condition=condition)
    except PutError as error:
        if not (condition_failed(error) and _stored_as_sent(item)):
            raise


def _stored_as_sent(item: LmsItem) -> bool:
    try:
        stored = type(item).get(item.pk, item.sk, consistent_read=True)
    except item.DoesNotExist:
        return False
    version = item._version_attribute_name
    sent, found = item.serialize(), stored.serialize()
    if version:
        name = type(item).get_attributes()[version].attr_name
        sent.pop(name, None)
        found.pop(name, None)
    if sent != found:
        return False
    if version:
        setattr(item, version, getattr(stored, version))  # as a save that answered would have left it
    return True


def snapshot[I: LmsItem](item: I) -> I:
    """A copy of the item as it is now (to compare it with, after it is changed)."""
    return type(item).from_raw_data(item.serialize())
