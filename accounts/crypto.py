"""Encryption at rest for secrets such as a team's Zcheap API key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _key(secret: str) -> Fernet:
    # Any configured string works: a Fernet key is derived from it, so operators need not
    # generate one in the right format.
    digest = hashlib.sha256(secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernet() -> MultiFernet:
    """Encrypts with FIELD_ENCRYPTION_KEY; decrypts with it or any FIELD_ENCRYPTION_OLD_KEYS, so
    a key can be rotated without losing what was stored under the previous one."""
    old = [k for k in settings.FIELD_ENCRYPTION_OLD_KEYS if k != settings.FIELD_ENCRYPTION_KEY]
    return MultiFernet([_key(settings.FIELD_ENCRYPTION_KEY), *map(_key, old)])


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext, or "" when the token cannot be read (e.g. the key was rotated)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def needs_rotation(token: str) -> bool:
    """True when TOKEN is readable but not (only) under the current key."""
    if not token:
        return False
    try:
        _key(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode())
        return False
    except (InvalidToken, ValueError):
        return bool(decrypt(token))


def rotate(token: str) -> str:
    """TOKEN re-encrypted under the current key (raises InvalidToken when no key reads it)."""
    return _fernet().rotate(token.encode()).decode()


def mask(secret: str) -> str:
    """Show just enough of a secret to recognise it: sk-…1234."""
    if not secret:
        return ""
    prefix = "sk-" if secret.startswith("sk-") else ""
    return f"{prefix}…{secret[-4:]}" if len(secret) > 8 else "…"
