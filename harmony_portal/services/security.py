"""Cryptographic building blocks: password hashes, TOTP, tokens, sealed secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from functools import lru_cache

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from harmony_portal.services import keys

TOTP_ISSUER = "Harmony Portal"
TOTP_STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10

# argon2id, argon2-cffi's RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4.
# That is above OWASP's minimum (m=19 MiB, t=2, p=1); benchmarks/ measures it.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. With no hash, still spends the same time."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def normalise_answer(answer: str) -> str:
    """Challenge answers compare without case or extra spaces."""
    return " ".join(answer.lower().split())


def new_token() -> str:
    """A random URL-safe token for sessions and reset links."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


_SEALED = "k1"  # sealed values name their key: "k1:<key id>:<Fernet token>"


@lru_cache
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def seal(plain: str) -> str:
    """Encrypt a secret for storage (TOTP secrets are never stored in the clear), under the current key."""
    kid, secret = keys.current()
    return f"{_SEALED}:{kid}:{_fernet(secret).encrypt(plain.encode()).decode()}"


def unseal(sealed: str) -> str:
    """Decrypt what :func:`seal` produced, with the key it names (any configured key, for one
    sealed before key ids)."""
    marker, _, rest = sealed.partition(":")
    try:
        if marker == _SEALED:
            kid, _, token = rest.partition(":")
            secret = keys.by_id(kid)
            if secret is None:
                raise RuntimeError(f"a stored secret was sealed under key {kid}, which is not configured: "
                                   "add that key to HARMONY_OLD_SECRET_KEYS")
            return _fernet(secret).decrypt(token.encode()).decode()
        return MultiFernet([_fernet(k) for k in keys.ring().values()]).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:  # key changed: say so rather than fail obscurely
        raise RuntimeError("a stored secret cannot be read with the configured keys") from exc


def sealed_under_current_key(sealed: str) -> bool:
    """True when ``sealed`` needs no rewriting by ``harmony-portal rotate-key``."""
    return sealed.startswith(f"{_SEALED}:{keys.current()[0]}:")


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code for ``uri`` as an SVG data URI, rendered on the server."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_totp_step(secret: str, code: str, now: datetime, after_step: int) -> int | None:
    """The time step ``code`` belongs to (one step either way), or None.

    A step at or before ``after_step`` (the last one accepted) is refused, so a
    code can never be used twice.
    """
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    current = totp.timecode(moment)
    for step in (current - 1, current, current + 1):
        expected = totp.generate_otp(step)
        if step > after_step and hmac.compare_digest(expected, code):
            return step
    return None


def current_totp(secret: str, now: datetime) -> str:
    """The code an authenticator shows at ``now`` (demo accounts and tests)."""
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    return pyotp.TOTP(secret).at(moment)


def new_recovery_codes() -> list[str]:
    """Ten one-time codes, grouped for reading: ``xxxxx-xxxxx``."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    """Recovery codes compare without case, spaces or dashes."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def short_digest(value: str, purpose: str = "label") -> str:
    """A short keyed digest of ``value``: lets log rows about the same input be matched
    up without storing the input (an unknown User ID may be a password typed in the wrong box)."""
    return keyed_name(purpose, value)[:12]


def recovery_code_digest(code: str, secret: str | None = None) -> str:
    """Recovery codes have 50 bits of entropy; a keyed hash is enough and fast (current key)."""
    key = (secret or keys.current()[1]).encode()
    return hmac.new(key, normalise_recovery_code(code).encode(), hashlib.sha256).hexdigest()


def recovery_code_digests(code: str) -> list[str]:
    """The code's digest under every configured key: codes issued before a rotation still work
    while the old key is kept (they can't be rewritten: only their hashes are stored)."""
    return [recovery_code_digest(code, secret) for secret in keys.ring().values()]


def keyed_names(purpose: str, value: object) -> list[str]:
    """``keyed_name`` under every configured key (to match a stored one made before a rotation)."""
    return [hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
            for secret in keys.ring().values()]


def keyed_name(purpose: str, value: object) -> str:
    """An unguessable, stable name for ``value`` (hex HMAC under the secret key).

    Shared live-update channels are named this way: knowing a user or session id
    is not enough to join one.
    """
    key = keys.current()[1].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
