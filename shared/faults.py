"""Faults of the services the API depends on (DynamoDB, S3, EventBridge, the issuer's JWKS), told
apart from faults of our own: a dependency that cannot be reached, times out, or keeps refusing
for load after botocore's retries is answered 503 with `Retry-After`, so clients retry, and the
functions' error alarms do not fire as if the code were broken (docs/DECISIONS.md: Faults).

The AWS clients' own budgets live here too: every call gives up well within the function's
timeout (template.yaml), which stays under API Gateway's 30 s."""

from collections.abc import Iterator

from botocore import exceptions as botocore_errors
from botocore.config import Config

from shared.errors import ServiceUnavailable

# Per attempt: a connection within 1 s, an answer within 2 s; 3 attempts with botocore's jittered
# back-off between them (under 1 s, then under 2 s). A call gives up within 12 s at the very worst
# (every attempt connecting slowly, then timing out), within a few seconds when it is throttled or
# nothing listens. The functions' timeout is 28 s (two such calls), API Gateway's 30 s.
CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, ATTEMPTS = 1.0, 2.0, 3
RETRY_AFTER_SECONDS = 2

# What a service answers when it is overloaded or failing on its side, not about the request.
BUSY_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "Throttling",
        "ThrottledException",
        "SlowDown",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
    }
)


def client_config() -> Config:
    """The timeouts and retries of every botocore client but PynamoDB's (whose Meta says the same)."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    )


def unavailable(error: BaseException) -> ServiceUnavailable | None:
    """The 503 for `error` if it, or what caused it (PynamoDB, Powertools and our own exceptions
    wrap botocore's), is a dependency's fault; None for anything else."""
    for cause in _causes(error):
        if isinstance(cause, botocore_errors.ConnectionError | botocore_errors.HTTPClientError):
            return ServiceUnavailable(
                "A service this API depends on could not be reached or did not answer in time; "
                f"try again in {RETRY_AFTER_SECONDS} seconds.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        if isinstance(cause, botocore_errors.ClientError) and _busy(cause):
            return ServiceUnavailable(
                f"A service this API depends on is overloaded; try again in {RETRY_AFTER_SECONDS} seconds.",
                retry_after=RETRY_AFTER_SECONDS,
            )
    return None


def _busy(error: botocore_errors.ClientError) -> bool:
    answer = error.response
    status = int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return answer.get("Error", {}).get("Code") in BUSY_CODES or status >= 500


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps, explicitly (`raise … from`, and PynamoDB's `cause`): an error of
    our own raised while handling a fault (its implicit `__context__`) stays our own."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for wrapped in (current.__cause__, getattr(current, "cause", None)):
            if isinstance(wrapped, BaseException):
                pending.append(wrapped)
