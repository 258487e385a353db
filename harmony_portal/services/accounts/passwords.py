"""Password rules after NIST SP 800-63B: length and a blocklist, no composition rules."""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 128


@lru_cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("harmony_portal.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _is_repetitive(password: str) -> bool:
    return len(set(password)) <= 2


def _is_sequential(password: str) -> bool:
    lowered = password.lower()
    for run in ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
                "qwertyuiopasdfghjklzxcvbnm"):
        if lowered in run or lowered in run[::-1]:
            return True
    return False


def password_problem(password: str, *, user_id: str = "", email: str = "") -> str | None:
    """Why ``password`` is refused, as a sentence, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Password must be at most {MAX_LENGTH} characters."
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,?~ ")
    common = _common_passwords()
    if lowered in common or (len(core) >= 4 and core in common):
        return "Password is too common: it appears in lists of breached passwords. Choose another."
    if _is_repetitive(password) or _is_sequential(password):
        return "Password is too easy to guess (repeated or sequential characters)."
    for context in (user_id, email.split("@")[0] if email else ""):
        if context and len(context) >= 3 and context.lower() in lowered:
            return "Password must not contain your User ID or email name."
    return None
