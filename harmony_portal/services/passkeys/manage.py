"""An account's passkeys on User Profile > Two-Factor Devices: listed, set to sign in without a
password, removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import Passkey, User, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.passkeys import policy, records
from harmony_portal.services.signin.devices import confirmed_devices
from harmony_portal.services.signin.sessions import end_other_sessions
from harmony_portal.services.signin.step_up import verify_step_up

LAST_FACTOR = ("You can't remove your last way to confirm it is you. Add another passkey or an authenticator "
               "app first.")
POLICY_NEEDS_ONE = ("Your role requires a passkey: add another passkey before you remove this one.")


@dataclass(frozen=True)
class PasskeyView:
    """A passkey as the profile lists it."""

    id: int
    name: str
    added: datetime
    last_used: datetime | None
    passwordless: bool
    synced: bool  # backed up to a provider (iCloud Keychain, Google Password Manager, ...)


def list_passkeys(session: Session, actor: User) -> list[PasskeyView]:
    return [PasskeyView(p.id, p.name, p.created_at, p.last_used_at, p.passwordless, p.backed_up)
            for p in records.of_user(session, actor.id)]


def _own(session: Session, actor: User, passkey_id: int) -> Passkey:
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != actor.id:
        raise NotAllowed("That passkey is not yours.")
    return passkey


def set_passwordless(session: Session, actor: User, passkey_id: int, on: bool, *, ip: str = "",
                     now: datetime | None = None) -> Passkey:
    """Turn "Sign in without a password" on or off for one of the actor's passkeys (audited)."""
    now = now or utc_now()
    passkey = _own(session, actor, passkey_id)
    if passkey.passwordless != on:
        passkey.passwordless = on
        session.add(passkey)
        audit.record(session, "account.passkey_changed", actor_id=actor.id, subject_user_id=actor.id, ip=ip,
                     now=now, passwordless=on, **records.facts(passkey))
    return passkey


def second_factor_count(session: Session, user_id: int) -> int:
    """Authenticator apps and passkeys together: the ways this account passes the second step."""
    return len(confirmed_devices(session, user_id)) + records.count_of(session, user_id)


def remove_passkey(session: Session, actor: User, passkey_id: int, *, step_up: str = "", ip: str = "",
                   keep_session_id: int | None = None, now: datetime | None = None) -> None:
    """Remove a passkey after the step-up. Never the account's last second factor, nor the last passkey of
    someone the policy requires one of; every other session ends (one signed in with it must not outlive it).
    """
    now = now or utc_now()
    passkey = _own(session, actor, passkey_id)
    if second_factor_count(session, actor.id) <= 1:
        raise Invalid("devices", LAST_FACTOR)
    if records.count_of(session, actor.id) <= 1 and policy.requires_passkey(session, actor):
        raise Invalid("devices", POLICY_NEEDS_ONE)
    proved = verify_step_up(session, actor, step_up, purpose="passkey_removed", ip=ip, session_id=keep_session_id,
                            now=now)
    facts = records.facts(passkey)
    session.delete(passkey)
    ended = end_other_sessions(session, actor.id, keep_id=keep_session_id, now=now)
    audit.record(session, "account.passkey_removed", actor_id=actor.id, subject_user_id=actor.id, ip=ip, now=now,
                 step_up=proved, other_sessions_ended=ended, **facts)
    records.tell_owner(session, session.get(User, actor.id), f"A passkey was removed: {facts['name']}", now)


def remove_all(session: Session, user: User, actor: User, *, now: datetime | None = None) -> int:
    """The help desk's two-factor reset: every passkey of ``user`` goes, each named in the audit log."""
    now = now or utc_now()
    passkeys = records.of_user(session, user.id)
    for passkey in passkeys:
        audit.record(session, "account.passkey_removed", actor_id=actor.id, subject_user_id=user.id, now=now,
                     reason="two-factor reset by the help desk", **records.facts(passkey))
        session.delete(passkey)
    return len(passkeys)
