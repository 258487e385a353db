"""The portal's secret keys: the newest writes, every configured one reads.

``HARMONY_SECRET_KEY`` is the current key; ``HARMONY_OLD_SECRET_KEYS`` (comma-separated) are
keys it replaced, kept for reading until ``harmony-portal rotate-key`` has rewritten everything
under the current one. What a key encrypts names it by a key id (a short fingerprint that
reveals nothing of the key), so reading picks the right key at once, as ``cryptography``'s
MultiFernet does for Fernet tokens. Data written before key ids existed carries none: every
key is tried for it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from harmony_portal.settings import get_settings

ID_LENGTH = 8  # hex characters of a key id


def key_id(key: str) -> str:
    """The id that names ``key`` in what it encrypted."""
    return hashlib.sha256(b"harmony-portal key id:" + key.encode()).hexdigest()[:ID_LENGTH]


@lru_cache
def _ring(current: str, old: tuple[str, ...]) -> dict[str, str]:
    ring = {key_id(current): current}
    for key in old:
        ring.setdefault(key_id(key), key)
    return ring


def ring() -> dict[str, str]:
    """Every key that may read, by id: the current one first."""
    settings = get_settings()
    return _ring(settings.secret_key(), tuple(settings.old_secret_keys()))


def current() -> tuple[str, str]:
    """(id, key) of the key that writes."""
    return next(iter(ring().items()))


def by_id(kid: str) -> str | None:
    """The key with id ``kid``, if it is still configured."""
    return ring().get(kid)
