"""Encryption at rest for secrets such as a team's Zcheap API key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    # Any configured string works: a Fernet key is derived from it, so operators need not
    # generate one in the right format. Rotating FIELD_ENCRYPTION_KEY makes old keys unreadable.
    digest = hashlib.sha256(settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


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


def mask(secret: str) -> str:
    """Show just enough of a secret to recognise it: sk-…1234."""
    if not secret:
        return ""
    prefix = "sk-" if secret.startswith("sk-") else ""
    return f"{prefix}…{secret[-4:]}" if len(secret) > 8 else "…"
