"""The local token issuer: an RS256 key kept under .local/, its JWKS, and tokens signed with it."""

import contextlib
import json
import os
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.template import ROOT

KEY_FILE = ROOT / ".local" / "jwt-signing-key.pem"
ISSUER = "lms-local"
AUDIENCE = "lms-api"
KEY_ID = "lms-local-1"
TOKEN_LIFETIME_SECONDS = 12 * 3600


@cache
def signing_key(path: Path = KEY_FILE) -> rsa.RSAPrivateKey:
    """The key in `path`, created on first use (the folder is git-ignored). Two servers starting
    at once (the test workers') must end up with one key: it is written aside, then linked into
    place, which fails for all but the first; every process then loads the key that won."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        aside = path.with_name(f"{path.name}.{os.getpid()}")
        aside.write_bytes(pem)
        aside.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
        aside.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def jwks(key: rsa.RSAPrivateKey | None = None) -> dict[str, Any]:
    """The public half, as the issuer's /.well-known/jwks.json publishes it."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk((key or signing_key()).public_key()))
    return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}


def mint(
    role: str,
    tenant: str,
    user: str,
    *,
    key: rsa.RSAPrivateKey | None = None,
    lifetime: int = TOKEN_LIFETIME_SECONDS,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A signed access token for `user` of `tenant` holding `role` (roles separated by commas)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": user,
        "tenantId": tenant,
        "roles": [name for name in role.split(",") if name],
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
        **(extra_claims or {}),
    }
    return jwt.encode(claims, key or signing_key(), algorithm="RS256", headers={"kid": KEY_ID})
