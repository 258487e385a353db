"""Rate limits on the doors people knock on: sign-in, second-factor codes, reset, sign-up.

Counted per client IP and per account (User ID, user or email address) with the
``limits`` package: in Redis when REDIS_URL is set, so every worker shares one count;
in memory otherwise (one worker). Keys are keyed digests: neither Redis nor the audit
log keeps what was typed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import RateLimited
from harmony_portal.services.security import short_digest
from harmony_portal.settings import get_settings


@dataclass(frozen=True)
class Rule:
    """How often one client IP, and one account, may try a kind of attempt."""

    per_ip: str | None
    per_account: str | None


# Every limit in one place. Generous for a person, tight for a script: the lockout
# (five failures) still protects a single account; these stop spraying many accounts
# from one address, and hammering one account from many.
RULES: dict[str, Rule] = {
    # Per address 30 a minute: a nursing home's whole shift behind one NAT can still sign in.
    "sign_in": Rule(per_ip="30 per minute", per_account="20 per hour"),
    "code": Rule(per_ip="30 per 5 minutes", per_account="10 per 5 minutes"),
    "reset": Rule(per_ip="5 per hour", per_account="5 per hour"),
    # Refused sign-ups count too (they probe which User IDs exist): room for a few typos.
    "sign_up": Rule(per_ip="10 per hour", per_account=None),
    # Failed or cancelled passkey ceremonies: not guessed secrets, so they never lock an account
    # (anyone could lock out a known User ID); counted here instead, and only the failures.
    "passkey": Rule(per_ip="30 per 5 minutes", per_account="10 per 5 minutes"),
}


@lru_cache
def _storage() -> Storage:
    return storage_from_string(get_settings().redis_url or "memory://")


@lru_cache
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage())


@lru_cache
def _item(text: str) -> RateLimitItem:
    return parse(text)


def reset() -> None:
    """Forget every count and re-read the settings (tests; an operator after an incident)."""
    _storage().reset()
    _limiter.cache_clear()
    _storage.cache_clear()


def _wait_seconds(item: RateLimitItem, *identifiers: str) -> int:
    stats = _limiter().get_window_stats(item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


def _message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many attempts. Try again in {minutes} {unit}."


def _keys(kind: str, ip: str, account: str):
    rule = RULES[kind]
    for scope, limit, key in (("ip", rule.per_ip, ip), ("account", rule.per_account, account)):
        if limit and key.strip():
            yield scope, _item(limit), short_digest(key.strip().lower(), "rate-limit")


def _enforce(session: Session, kind: str, ip: str, account: str, now: datetime | None, *, counting: bool) -> None:
    if not get_settings().harmony_rate_limits:
        return
    for scope, item, digest in _keys(kind, ip, account):
        allowed = _limiter().hit(item, kind, scope, digest) if counting else _limiter().test(item, kind, scope, digest)
        if not allowed:
            wait = _wait_seconds(item, kind, scope, digest)
            audit.record(session, "auth.rate_limited", ip=ip, now=now, kind=kind, scope=scope, key=digest)
            raise RateLimited(_message(wait), wait).keeping_changes()


def refuse_if_spent(session: Session, kind: str, *, ip: str = "", account: str = "",
                    now: datetime | None = None) -> None:
    """Raise RateLimited (audited) when ``kind``'s limit is already used up, without counting an attempt:
    for doors where only failures count (passkeys)."""
    _enforce(session, kind, ip, account, now, counting=False)


def check(session: Session, kind: str, *, ip: str = "", account: str = "",
          now: datetime | None = None) -> None:
    """Count one attempt of ``kind``; raise RateLimited (audited) when over a limit.

    An empty ``ip`` or ``account`` is not counted: a shared empty key would let one
    client lock everyone else out.
    """
    _enforce(session, kind, ip, account, now, counting=True)
