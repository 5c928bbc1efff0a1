"""The API key at rest is real authenticated encryption (Fernet under a key derived from
FIELD_ENCRYPTION_KEY), not an encoding: a database dump alone does not reveal it, and a changed
byte is refused instead of decrypting to something else."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from cryptography.fernet import Fernet, InvalidToken

from accounts import crypto

pytestmark = pytest.mark.django_db

KEY = "sk-live-0123456789abcdef"


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def test_the_stored_key_is_a_fernet_token_under_the_configured_key(team_a, settings):
    settings.FIELD_ENCRYPTION_KEY = "one-operator-secret"
    team_a.set_api_key(KEY)
    team_a.save()
    team_a.refresh_from_db()
    token = team_a.api_key_encrypted
    assert _fernet("one-operator-secret").decrypt(token.encode()).decode() == KEY
    with pytest.raises(InvalidToken):  # another key cannot read it
        _fernet("another-secret").decrypt(token.encode())
    for encoding in (base64.b64decode, base64.urlsafe_b64decode, base64.b32decode):
        with contextlib.suppress(ValueError):  # not even decodable that way
            assert KEY.encode() not in encoding(token + "=" * (-len(token) % 8))
    assert crypto.encrypt(KEY) != crypto.encrypt(KEY)  # a fresh IV each time


def test_a_tampered_token_or_a_rotated_key_reads_as_no_key(team_a, settings):
    settings.FIELD_ENCRYPTION_KEY = "one-operator-secret"
    token = crypto.encrypt(KEY)
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[40] ^= 1  # one bit of the ciphertext
    assert crypto.decrypt(base64.urlsafe_b64encode(bytes(raw)).decode()) == ""
    assert crypto.decrypt(token) == KEY
    settings.FIELD_ENCRYPTION_KEY = "rotated"
    assert crypto.decrypt(token) == ""


def test_mask_shows_only_the_end_of_a_key():
    assert crypto.mask(KEY) == "sk-…cdef"
    assert crypto.mask("abcdefghij") == "…ghij"
    assert crypto.mask("short") == "…"
    assert crypto.mask("") == ""
