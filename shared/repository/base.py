"""The single table: one PynamoDB item hierarchy, tenant-scoped keys, and transactions.

Every entity is a subclass of `LmsItem` told apart by `kind`, so one Query over an item
collection (a course with its modules and lesson links) returns typed objects in one request.
Table name and endpoint come from the settings on first use, never at import.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.settings import get_settings

TENANT_PREFIX = "T"


def tenant_key(tenant_id: str, *parts: str) -> str:
    """A key inside one tenant: every key the repositories form starts with the caller's tenant."""
    return "#".join((TENANT_PREFIX, tenant_id, *parts))


class ListIndex(GlobalSecondaryIndex["LmsItem"]):
    """Ordered lists inside a tenant: courses newest first, later enrollments of a course, submodules."""

    class Meta:
        index_name = "ListIndex"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class LookupIndex(GlobalSecondaryIndex["LmsItem"]):
    """Items addressed by their own id that live in a parent's collection (modules, lesson links)."""

    class Meta:
        index_name = "LookupIndex"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class UserIndex(GlobalSecondaryIndex["LmsItem"]):
    """What belongs to one user of a tenant: enrollments, course tracks, lesson attempts."""

    class Meta:
        index_name = "UserIndex"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(range_key=True, attr_name="GSI3SK")


class LmsItem(Model):
    """Base of every item in the table."""

    class Meta:
        table_name = "lms"  # replaced from the settings when the first connection is made

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    kind = DiscriminatorAttribute(attr_name="kind")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    gsi3pk = UnicodeAttribute(null=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(null=True, attr_name="GSI3SK")

    list_index = ListIndex()
    lookup_index = LookupIndex()
    user_index = UserIndex()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        if cls._connection is None:
            settings = get_settings()
            LmsItem.Meta.table_name = settings.table_name
            LmsItem.Meta.host = settings.dynamodb_endpoint  # type: ignore[attr-defined]
            LmsItem.Meta.region = settings.aws_region  # type: ignore[attr-defined]
        return super()._get_connection()


def reset_connections() -> None:
    """Forget every model's connection so the next request reads the settings again (tests)."""
    get_settings.cache_clear()
    pending: list[type[Model]] = [LmsItem]
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())


def _connection() -> Connection:
    table_connection: Any = LmsItem._get_connection()
    connection: Connection = table_connection.connection
    return connection


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """One TransactWriteItems over the table: every write in it happens, or none does."""
    with TransactWrite(connection=_connection()) as writes:
        yield writes


CONDITION_FAILED = "ConditionalCheckFailed"
# Another transaction held one of the items at that moment; DynamoDB asks for a retry.
TRANSACTION_CONFLICT = "TransactionConflict"


def cancellation_codes(error: TransactWriteError) -> list[str | None]:
    """For each write of a cancelled transaction, why it was cancelled (None: it was not the cause)."""
    return [reason.code if reason is not None else None for reason in error.cancellation_reasons]
