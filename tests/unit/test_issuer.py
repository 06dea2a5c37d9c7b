"""The local issuer's key: made once, and the same for every process that starts at once."""

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local import issuer


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_a_process_that_loses_the_race_to_write_the_key_uses_the_winners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "key.pem"
    winner = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    link = os.link

    def another_process_links_first(source: Path, target: Path) -> None:
        target.write_bytes(
            winner.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        link(source, target)

    monkeypatch.setattr(os, "link", another_process_links_first)

    loaded = issuer.signing_key.__wrapped__(path)

    assert public_pem(loaded) == public_pem(winner)
    assert [entry.name for entry in tmp_path.iterdir()] == ["key.pem"]  # nothing left aside


def test_the_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"

    first, second = issuer.signing_key.__wrapped__(path), issuer.signing_key.__wrapped__(path)

    assert public_pem(first) == public_pem(second)
    assert path.stat().st_mode & 0o777 == 0o600
