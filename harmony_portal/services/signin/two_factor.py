"""Authenticator devices and recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from harmony_portal import routes
from harmony_portal.models import RecoveryCode, TotpDevice, User, utc_now
from harmony_portal.services import validation
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.passkeys.manage import second_factor_count
from harmony_portal.services.security import (
    current_totp,
    matching_totp_step,
    new_recovery_codes,
    new_totp_secret,
    recovery_code_digest,
    seal,
    unseal,
)
from harmony_portal.services.signin.devices import confirmed_devices, has_confirmed_device, unconfirmed_devices
from harmony_portal.services.signin.sessions import end_other_sessions
from harmony_portal.services.signin.step_up import verify_step_up


def _own_device(session: Session, actor: User, device_id: int) -> TotpDevice:
    device = session.get(TotpDevice, device_id)
    if device is None or device.user_id != actor.id:
        raise NotAllowed("That device is not yours.")
    return device


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("device_name", "Device name is required.")
    if problem := validation.text_problem("device_name", name):
        raise Invalid("device_name", problem)
    return name


def begin_device(session: Session, actor: User, name: str = "Authenticator app", *,
                 secret: str | None = None) -> tuple[TotpDevice, str]:
    """An unconfirmed device and its base32 secret, to show once as QR code and key."""
    secret = secret or new_totp_secret()
    device = TotpDevice(user_id=actor.id, name=_clean_name(name), secret=seal(secret))
    session.add(device)
    session.flush()
    return device, secret


@dataclass(frozen=True)
class Enrolment:
    """A started enrolment: the unconfirmed device, its secret (shown once), and whether
    confirming it needs the step-up (the user already has a working device)."""

    device_id: int
    secret: str
    needs_step_up: bool


def start_enrolment(session: Session, actor: User, *, name: str = "Authenticator app",
                    now: datetime | None = None) -> Enrolment:
    """Start enrolling a device for the acting user; a reload of the page starts over.

    Devices an earlier start left unconfirmed are dropped first, with an audit row
    saying how many: an abandoned secret must not stay usable later.
    """
    now = now or utc_now()
    stale = unconfirmed_devices(session, actor.id)
    for device in stale:
        session.delete(device)
    if stale:
        audit.record(session, "account.unconfirmed_devices_dropped", actor_id=actor.id, subject_user_id=actor.id,
                     now=now, count=len(stale))
    device, secret = begin_device(session, actor, name)
    return Enrolment(device.id, secret, needs_step_up=has_confirmed_device(session, actor.id))


def enrol_trusted_device(session: Session, owner: User, name: str = "Authenticator app", *,
                         secret: str | None = None, actor: User | None = None, reason: str,
                         now: datetime | None = None) -> str:
    """A device trusted as set up without a code from it; returns its base32 secret.

    For an operator at the command line (``create-admin`` prints the key once), the demo
    seed, tests and benchmarks: never reachable from the web. ``actor`` None means the
    operator. The audit row names the reason.
    """
    now = now or utc_now()
    secret = secret or new_totp_secret()
    device = TotpDevice(user_id=owner.id, name=_clean_name(name), secret=seal(secret), confirmed_at=now)
    session.add(device)
    session.flush()
    audit.record(session, "account.device_enrolled", actor_id=actor.id if actor else None,
                 subject_user_id=owner.id, now=now, device=device.name, reason=reason)
    return secret


def confirm_device(session: Session, actor: User, device_id: int, code: str, *, step_up: str = "",
                   name: str | None = None, ip: str = "", session_id: int | None = None,
                   now: datetime | None = None) -> list[str]:
    """Confirm a device with a code from it.

    A user who already has a confirmed device must also pass the step-up
    (current password or a fresh code from a device they have): a stolen
    session alone can't add an authenticator of its own.

    Returns fresh recovery codes (to show once) when this is the user's first
    device, else an empty list.
    """
    now = now or utc_now()
    device = _own_device(session, actor, device_id)
    if device.confirmed_at is not None:
        raise Invalid("security_code", "This device is already set up.")
    first = not has_confirmed_device(session, actor.id)
    proved = None if first else verify_step_up(session, actor, step_up, purpose="device_added", ip=ip,
                                               session_id=session_id, now=now)
    step = matching_totp_step(unseal(device.secret), code, now, 0)
    if step is None:
        raise Invalid("security_code", "That security code is not correct. Check the time on your phone "
                      "and enter the 6-digit code your app shows now.")
    if name is not None:
        device.name = _clean_name(name)
    device.confirmed_at = now
    device.last_used_step = step
    session.add(device)
    audit.record(session, "account.device_added", actor_id=actor.id, subject_user_id=actor.id, ip=ip, now=now,
                 device=device.name, **({"step_up": proved} if proved else {}))
    if first:  # set up right after signing up, by the person signing up: nothing to warn of
        return replace_recovery_codes(session, actor, now=now)
    _tell_owner(session, actor, f"A two-factor device was added: {device.name}", now)
    return []


def _tell_owner(session: Session, actor: User, what: str, now: datetime) -> None:
    """A device added or removed is how an account is taken over: its owner always hears of it."""
    owner = session.get(User, actor.id)
    tell(session, owner, SECURITY, "Your Harmony Portal two-factor devices changed",
         email=f"Hello {owner.first_name},\n\n{what} (User ID {owner.user_id}).\n\n"
               "If this was not you, sign in, change your password and call the Harmony Help Desk at once.\n",
         note=f"{what}.", link=routes.PROFILE, now=now)


def replace_recovery_codes(session: Session, actor: User, *, now: datetime | None = None) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == actor.id)):
        session.delete(old)
    codes = new_recovery_codes()
    for code in codes:
        session.add(RecoveryCode(user_id=actor.id, code_hash=recovery_code_digest(code)))
    audit.record(session, "account.recovery_codes_issued", actor_id=actor.id, subject_user_id=actor.id,
                 now=now)
    return codes


def rename_device(session: Session, actor: User, device_id: int, name: str, *,
                  now: datetime | None = None) -> None:
    device = _own_device(session, actor, device_id)
    device.name = _clean_name(name)
    session.add(device)
    audit.record(session, "account.device_renamed", actor_id=actor.id, subject_user_id=actor.id, now=now,
                 device=device.name)


def remove_device(session: Session, actor: User, device_id: int, *, step_up: str = "", ip: str = "",
                  keep_session_id: int | None = None, now: datetime | None = None) -> None:
    """Remove a device after the step-up; the last second factor (app or passkey) stays: an account always has one.

    Every other session ends: one signed in with the removed device must not outlive it.
    """
    now = now or utc_now()
    device = _own_device(session, actor, device_id)
    if device.confirmed_at is not None and second_factor_count(session, actor.id) <= 1:
        raise Invalid("devices", "You can't remove your only device. Add another one first.")
    proved = verify_step_up(session, actor, step_up, purpose="device_removed", ip=ip, session_id=keep_session_id,
                            now=now)
    session.delete(device)
    ended = end_other_sessions(session, actor.id, keep_id=keep_session_id, now=now)
    audit.record(session, "account.device_removed", actor_id=actor.id, subject_user_id=actor.id, ip=ip, now=now,
                 device=device.name, step_up=proved, other_sessions_ended=ended)
    _tell_owner(session, actor, f"A two-factor device was removed: {device.name}", now)


def list_devices(session: Session, actor: User) -> list[TotpDevice]:
    """The acting user's confirmed devices."""
    return confirmed_devices(session, actor.id)


def current_code_for_demo(session: Session, user: User, now: datetime) -> str:
    """The code a demo account's first device shows now. Real accounts: refused."""
    if not user.is_demo:
        raise NotAllowed("totp-code works for demo accounts only.")
    devices = confirmed_devices(session, user.id)
    if not devices:
        raise Invalid("user", "That account has no authenticator yet.")
    return current_totp(unseal(devices[0].secret), now)
