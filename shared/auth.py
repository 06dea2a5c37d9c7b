"""Who is calling: the bearer token verified against the issuer's JWKS, turned into a Principal."""

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, TypeGuard

import jwt

from shared.errors import Forbidden, ServiceUnavailable, Unauthorized
from shared.faults import RETRY_AFTER_SECONDS
from shared.observability import logger
from shared.schemas.common import MAX_ID_BYTES, fits_a_key
from shared.settings import Settings, get_settings

MAX_TENANT_LENGTH = 128


class Role(StrEnum):
    ADMIN = "admin"
    INSTRUCTOR = "instructor"
    LEARNER = "learner"


STAFF = frozenset({Role.ADMIN, Role.INSTRUCTOR})


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller: every key the repository forms starts with `tenant_id`."""

    user_id: str
    tenant_id: str
    roles: frozenset[Role]

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF)


# A token naming a `kid` the cached keys lack makes the client fetch the JWKS again (a rotated key
# is accepted as soon as the issuer publishes it, no restart), at most once per this many seconds:
# tokens with made-up `kid`s cannot turn every request into a fetch from the issuer.
JWKS_REFETCH_COOLDOWN_SECONDS = 30
JWKS_TIMEOUT_SECONDS = 3


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Cached for the life of the execution environment: keys are fetched once, then on a new `kid`
    # (or after an hour).
    return jwt.PyJWKClient(
        url,
        cache_keys=True,
        lifespan=3600,
        timeout=JWKS_TIMEOUT_SECONDS,
        cooldown_duration=JWKS_REFETCH_COOLDOWN_SECONDS,
    )


def _roles_from_claim(value: Any) -> frozenset[Role]:
    # Cognito groups arrive as a list; other issuers send "admin instructor" or "admin,instructor".
    names = value if isinstance(value, list) else str(value or "").replace(",", " ").split()
    return frozenset(Role(name) for name in names if name in Role.__members__.values())


def verify_token(token: str, settings: Settings | None = None) -> Principal:
    """Check signature, `exp`, `iss` and `aud` and build the caller, or raise Unauthorized."""
    settings = settings or get_settings()
    try:
        signing_key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=list(settings.jwt_algorithms),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience if settings.jwt_verify_audience else None,
            options={"require": ["exp", "iss", settings.claim_user_id], "verify_aud": settings.jwt_verify_audience},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired; sign in again.") from exc
    except jwt.PyJWKClientConnectionError as exc:
        # The issuer's fault, not the token's: a 401 would send the user to sign in again for nothing.
        logger.warning("Signing keys could not be fetched", extra={"reason": str(exc)})
        raise ServiceUnavailable(
            "The token's signing keys could not be fetched from its issuer; "
            f"try again in {RETRY_AFTER_SECONDS} seconds.",
            retry_after=RETRY_AFTER_SECONDS,
        ) from exc
    except jwt.PyJWTError as exc:
        # Which check failed (and the token's `kid`) is for the log, not for whoever sent it.
        logger.info("Access token refused", extra={"reason": str(exc)})
        raise Unauthorized("The access token is not valid; sign in again.") from exc

    user_id, tenant_id = claims.get(settings.claim_user_id), claims.get(settings.claim_tenant)
    if not isinstance(user_id, str) or not user_id or not fits_a_key(user_id, MAX_ID_BYTES):
        raise Unauthorized(f"The access token has no valid user id claim '{settings.claim_user_id}'.")
    if not _valid_tenant(tenant_id):
        raise Unauthorized(f"The access token has no valid tenant claim '{settings.claim_tenant}'.")
    return Principal(user_id=user_id, tenant_id=tenant_id, roles=_roles_from_claim(claims.get(settings.claim_roles)))


def _valid_tenant(tenant_id: object) -> TypeGuard[str]:
    """1-128 characters of Unicode text without `#`: it starts every key the service forms."""
    if not isinstance(tenant_id, str) or not 0 < len(tenant_id) <= MAX_TENANT_LENGTH or "#" in tenant_id:
        return False
    return fits_a_key(tenant_id, 4 * MAX_TENANT_LENGTH)  # 4 bytes a character at most: only text is checked


def authenticate(headers: dict[str, str]) -> Principal:
    """The caller of a request with these (lower-case) headers, tenant header checked."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token in the header 'Authorization: Bearer <token>'.")
    principal = verify_token(token.strip())
    if not principal.roles:
        raise Forbidden("The access token carries none of the roles admin, instructor or learner.")
    tenant_header = headers.get("tenantid")
    if tenant_header is not None and tenant_header != principal.tenant_id:
        raise Forbidden("The tenantid header does not match the tenant of the access token.")
    return principal


def require_roles(principal: Principal, allowed: frozenset[Role]) -> None:
    """Refuse a caller holding none of the allowed roles (an empty set allows every role)."""
    if allowed and not principal.roles & allowed:
        names = " or ".join(sorted(allowed))
        raise Forbidden(f"This action needs the {names} role.")
