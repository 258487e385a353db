"""The attachment store's encrypted format, and rewriting a file under the current key.

One file per attachment, named by a random storage key::

    b"HPA2" | key id (8 ASCII hex) | segment | segment | ...
    segment = nonce (12 random bytes) | AES-256-GCM(plain[i*256 KiB:(i+1)*256 KiB]) with its 16-byte tag

The key of each file is derived with HKDF-SHA256 from the secret key its header names
(``services.keys``) and the file's storage key. Each segment's associated data binds the
storage key, its index and whether it is the last, so segments can't be swapped, reordered,
moved to another file or cut off the end unnoticed. Files written before key ids (``HPA1``,
no id) are read with whichever configured key opens their first segment. Peak memory for a
file of any size is a few segments (under 1 MiB), storing or reading.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from harmony_portal.services import keys

SEGMENT_BYTES = 256 * 1024
_MAGIC = b"HPA2"
_LEGACY_MAGIC = b"HPA1"  # before key ids: no id in the header
_NONCE_BYTES = 12
_TAG_BYTES = 16
_RECORD_BYTES = _NONCE_BYTES + SEGMENT_BYTES + _TAG_BYTES


class StoreDamaged(RuntimeError):
    """A stored file fails its authentication (tampered with, truncated, or another key)."""


def _file_key(secret: str, storage_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"harmony-portal attachment store",
               info=b"attachment:" + storage_key.encode()).derive(secret.encode())
    return AESGCM(key)


def _associated_data(storage_key: str, index: int, last: bool) -> bytes:
    return f"{storage_key}:{index}:{'last' if last else 'more'}".encode()


def _segment_count(plain_size: int) -> int:
    return max(1, -(-plain_size // SEGMENT_BYTES))  # an empty file is still one (empty) segment


def encrypt_into(plain_path: Path, target: Path, storage_key: str) -> None:
    """Encrypt ``plain_path`` under the current key into ``target`` (a new file, owner-only, synced)."""
    kid, secret = keys.current()
    aead = _file_key(secret, storage_key)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, open(plain_path, "rb") as plain:
            count = _segment_count(os.fstat(plain.fileno()).st_size)
            out.write(_MAGIC + kid.encode())
            for index in range(count):
                segment = plain.read(SEGMENT_BYTES)
                nonce = secrets.token_bytes(_NONCE_BYTES)
                out.write(nonce)
                out.write(aead.encrypt(nonce, segment, _associated_data(storage_key, index, index == count - 1)))
                del segment  # at most one plain and one sealed segment alive at a time
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _damaged(storage_key: str, why: str) -> StoreDamaged:
    return StoreDamaged(f"stored attachment {storage_key[:8]}... {why}")


def key_id_of(path: Path) -> str | None:
    """The id of the key ``path`` was written under (None: written before key ids)."""
    with open(path, "rb") as handle:
        header = handle.read(len(_MAGIC) + keys.ID_LENGTH)
    return header[len(_MAGIC):].decode("ascii", "replace") if header.startswith(_MAGIC) else None


def _opening_key(handle, storage_key: str, count: int) -> tuple[AESGCM, int]:
    """The file's key and where its segments start, from its header (or by trying, before key ids)."""
    magic = handle.read(len(_MAGIC))
    if magic == _MAGIC:
        kid = handle.read(keys.ID_LENGTH).decode("ascii", "replace")
        secret = keys.by_id(kid)
        if secret is None:
            raise _damaged(storage_key, f"was written under key {kid}, which is not configured "
                                        "(add it to HARMONY_OLD_SECRET_KEYS)")
        return _file_key(secret, storage_key), len(_MAGIC) + keys.ID_LENGTH
    if magic != _LEGACY_MAGIC:
        raise _damaged(storage_key, "is not in the store's format")
    first = handle.read(_RECORD_BYTES)
    for secret in keys.ring().values():
        aead = _file_key(secret, storage_key)
        try:
            aead.decrypt(first[:_NONCE_BYTES], first[_NONCE_BYTES:], _associated_data(storage_key, 0, count == 1))
        except (InvalidTag, ValueError):
            continue
        return aead, len(_LEGACY_MAGIC)
    raise _damaged(storage_key, "fails its integrity check under every configured key")


def decrypt(handle, storage_key: str) -> Iterator[bytes]:
    """The plain segments of an open stored file, each checked before it is yielded; closes it."""
    with handle:
        size = os.fstat(handle.fileno()).st_size
        header = len(_MAGIC) + (keys.ID_LENGTH if handle.read(len(_MAGIC)) == _MAGIC else 0)
        body = size - header
        if body < _NONCE_BYTES + _TAG_BYTES:
            raise _damaged(storage_key, "is not in the store's format")
        count = max(1, -(-body // _RECORD_BYTES))
        handle.seek(0)
        aead, start = _opening_key(handle, storage_key, count)
        handle.seek(start)
        record = bytearray(_RECORD_BYTES)  # one buffer for every segment; views, not copies
        view = memoryview(record)
        for index in range(count):
            length = handle.readinto(record)
            try:
                plain = aead.decrypt(view[:_NONCE_BYTES], view[_NONCE_BYTES:length],
                                     _associated_data(storage_key, index, index == count - 1))
            except (InvalidTag, ValueError) as exc:
                raise _damaged(storage_key, "fails its integrity check") from exc
            if plain:
                yield plain


def reencrypt(path: Path, storage_key: str, spool: Path) -> bool:
    """Rewrite ``path`` under the current key; False when it already is (nothing done).

    The plain bytes pass through an owner-only file in ``spool``; the new file replaces the old
    in one rename, so a download reading the old one meanwhile reads it whole.
    """
    if key_id_of(path) == keys.current()[0]:
        return False
    plain_path = spool / f"rekey-{storage_key}"
    sealed_path = spool / f"rekeyed-{storage_key}"
    for leftover in (plain_path, sealed_path):  # an earlier run stopped half way
        leftover.unlink(missing_ok=True)
    try:
        fd = os.open(plain_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as plain:
            for segment in decrypt(open(path, "rb"), storage_key):  # noqa: SIM115 - decrypt closes it
                plain.write(segment)
        encrypt_into(plain_path, sealed_path, storage_key)
        os.replace(sealed_path, path)
    finally:
        plain_path.unlink(missing_ok=True)
        sealed_path.unlink(missing_ok=True)
    return True
