"""Token verification against a real JWKS endpoint on loopback (the session's test issuer)."""

import json
import os
import socket
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local import issuer
from local.stack import jwks_url, serve_jwks
from shared import auth
from shared.auth import Principal, Role, authenticate, require_roles, verify_token
from shared.errors import Forbidden, ServiceUnavailable, Unauthorized
from shared.observability import logger
from shared.settings import Settings


@pytest.fixture
def settings(environment: str) -> Settings:
    return Settings.model_validate(os.environ)


def test_a_valid_token_becomes_the_principal(signing_key, settings):
    token = issuer.mint("instructor", "tenant-a", "user-1", key=signing_key)

    assert verify_token(token, settings) == Principal("user-1", "tenant-a", frozenset({Role.INSTRUCTOR}))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lifetime": -60}, "expired"),
        ({"issuer": "someone-else"}, "not valid"),
        ({"audience": "another-api"}, "not valid"),
    ],
)
def test_expired_or_foreign_tokens_are_refused(signing_key, settings, overrides, message):
    token = issuer.mint("admin", "tenant-a", "user-1", key=signing_key, **overrides)

    with pytest.raises(Unauthorized, match=message):
        verify_token(token, settings)


def test_any_audience_passes_only_when_its_check_is_turned_off(signing_key, settings):
    token = issuer.mint("admin", "tenant-a", "user-1", key=signing_key, audience="another-api")
    unchecked = settings.model_copy(update={"jwt_verify_audience": False})

    assert verify_token(token, unchecked).user_id == "user-1"
    with pytest.raises(Unauthorized):
        verify_token(token, settings)


def test_a_token_signed_by_another_key_is_refused_without_saying_which_check_failed(settings, monkeypatch):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = issuer.mint("admin", "tenant-a", "user-1", key=forger)
    logged: list[dict] = []
    monkeypatch.setattr(logger, "info", lambda message, extra: logged.append({"message": message, **extra}))

    with pytest.raises(Unauthorized) as refused:
        verify_token(token, settings)

    assert refused.value.message == "The access token is not valid; sign in again."
    assert logged == [{"message": "Access token refused", "reason": "Signature verification failed"}]  # the log has it


def test_an_unknown_key_id_is_not_echoed(signing_key, settings):
    token = jwt.encode(
        {"sub": "u", "tenantId": "t", "roles": ["admin"], "iss": issuer.ISSUER, "aud": issuer.AUDIENCE, "exp": 2**31},
        signing_key,
        algorithm="RS256",
        headers={"kid": "<script>alert(1)</script>"},
    )

    with pytest.raises(Unauthorized) as refused:
        verify_token(token, settings)

    assert refused.value.message == "The access token is not valid; sign in again."


def test_a_token_with_an_unsigned_algorithm_is_refused(settings):
    header = "eyJhbGciOiJub25lIiwia2lkIjoibG1zLWxvY2FsLTEifQ"  # {"alg":"none","kid":"lms-local-1"}
    payload = "eyJzdWIiOiJ1IiwidGVuYW50SWQiOiJ0Iiwicm9sZXMiOlsiYWRtaW4iXX0"

    with pytest.raises(Unauthorized):
        verify_token(f"{header}.{payload}.", settings)


def test_cognito_claim_names_work_by_configuration(signing_key, settings):
    settings = settings.model_copy(update={"claim_tenant": "custom:tenantId", "claim_roles": "cognito:groups"})
    token = issuer.mint(
        "",
        "ignored",
        "user-9",
        key=signing_key,
        extra_claims={"custom:tenantId": "tenant-c", "cognito:groups": ["admin", "unrelated-group"]},
    )

    assert verify_token(token, settings) == Principal("user-9", "tenant-c", frozenset({Role.ADMIN}))


@pytest.mark.parametrize("tenant", ["", "a#b", "x" * 129])
def test_a_token_without_a_usable_tenant_is_refused(signing_key, settings, tenant):
    token = issuer.mint("admin", tenant, "user-1", key=signing_key)

    with pytest.raises(Unauthorized, match="tenant"):
        verify_token(token, settings)


def test_roles_may_arrive_as_one_string(signing_key, settings):
    token = issuer.mint("", "t", "u", key=signing_key, extra_claims={"roles": "admin, learner"})

    assert verify_token(token, settings).roles == {Role.ADMIN, Role.LEARNER}


def test_missing_or_malformed_authorization_header_is_401(environment):
    for headers in ({}, {"authorization": "Basic abc"}, {"authorization": "Bearer "}):
        with pytest.raises(Unauthorized, match="Bearer"):
            authenticate(headers)


def test_a_token_without_any_lms_role_is_403(signing_key, environment):
    token = issuer.mint("guest", "t", "u", key=signing_key)

    with pytest.raises(Forbidden, match="roles"):
        authenticate({"authorization": f"Bearer {token}"})


def test_a_tenant_header_other_than_the_tokens_is_403(signing_key, environment):
    token = issuer.mint("admin", "tenant-a", "u", key=signing_key)

    assert authenticate({"authorization": f"Bearer {token}", "tenantid": "tenant-a"}).tenant_id == "tenant-a"
    with pytest.raises(Forbidden, match="tenantid"):
        authenticate({"authorization": f"Bearer {token}", "tenantid": "tenant-b"})


def test_role_checks():
    learner = Principal("u", "t", frozenset({Role.LEARNER}))

    require_roles(learner, frozenset())
    require_roles(learner, frozenset({Role.LEARNER, Role.ADMIN}))
    with pytest.raises(Forbidden, match="admin or instructor"):
        require_roles(learner, frozenset({Role.ADMIN, Role.INSTRUCTOR}))


def published(key: rsa.RSAPrivateKey, kid: str) -> dict[str, object]:
    """A key as the issuer's JWKS lists it."""
    return {
        **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
    }


def signed(key: rsa.RSAPrivateKey, kid: str, settings: Settings) -> str:
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": "user-1", "tenantId": "tenant-a",
              "roles": ["admin"], "exp": int(time.time()) + 300}  # fmt: skip
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_a_rotated_signing_key_is_accepted_once_the_issuer_publishes_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "JWKS_REFETCH_COOLDOWN_SECONDS", 0)  # 30 s in service; the rule is the same
    first, second = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    document = {"keys": [published(first, "key-1")]}
    server = serve_jwks(document)
    try:
        rotating = settings.model_copy(update={"jwks_url": jwks_url(server)})
        assert verify_token(signed(first, "key-1", rotating), rotating).user_id == "user-1"
        with pytest.raises(Unauthorized):  # not published yet
            verify_token(signed(second, "key-2", rotating), rotating)

        document["keys"].append(published(second, "key-2"))  # the issuer rotates; nothing restarts

        assert verify_token(signed(second, "key-2", rotating), rotating).user_id == "user-1"
        assert (
            verify_token(signed(first, "key-1", rotating), rotating).user_id == "user-1"
        )  # both, while both are listed
    finally:
        server.shutdown()
        server.server_close()


def test_an_issuer_that_cannot_be_reached_is_503_not_401(signing_key: rsa.RSAPrivateKey, settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = settings.model_copy(update={"jwks_url": f"http://127.0.0.1:{port}/.well-known/jwks.json"})

    with pytest.raises(ServiceUnavailable, match="signing keys could not be fetched") as refused:
        verify_token(issuer.mint("admin", "tenant-a", "user-1", key=signing_key), unreachable)
    assert refused.value.retry_after is not None
    assert refused.value.retry_after > 0
