"""Residents' personal data encrypted at rest (DESIGN §6; PIPL; 等保 2.0 level 3).

Keys come from the environment: ``FIELD_ENCRYPTION_KEYS`` is a comma-separated list of
Fernet keys; the first encrypts, all decrypt, so a key is rotated by putting a new one in
front and running ``manage.py rotate_field_keys`` (which re-encrypts every value), then
dropping the old one. A keyed hash (blind index) lets the service find "the resident seen
before" by phone without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80 + timestamp)


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear text; a value written before encryption was switched on reads as it is."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return token or ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("a personal-data field cannot be decrypted with the keys given") from error


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return encrypt(token)
    return _fernet().rotate(token.encode()).decode()


def blind_index(value: str) -> str:
    """A keyed hash of a normalised value, for equality look-ups on encrypted columns."""
    if not value:
        return ""
    # The newest key: rotate_field_keys recomputes every index when keys change.
    key = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEYS[0])
    normalised = "".join(ch for ch in value if ch.isdigit() or ch.isalpha())
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()[:32]
