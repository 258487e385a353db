"""An account's passkeys as rows: finding them, and what the audit log and the owner are told of one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from harmony_portal import routes
from harmony_portal.models import Passkey, User
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.passkeys.relying_party import FIELD
from harmony_portal.services.security import short_digest
from harmony_portal.services.signin import rate_limits


def of_user(session: Session, user_id: int) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    return list(session.exec(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)))


def count_of(session: Session, user_id: int) -> int:
    return session.exec(select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id)).one()


def has_passkey(session: Session, user_id: int) -> bool:
    return session.exec(select(Passkey.id).where(Passkey.user_id == user_id).limit(1)).first() is not None


def by_credential(session: Session, credential_id: str) -> Passkey | None:
    if not isinstance(credential_id, str) or not 0 < len(credential_id) <= 1400:
        return None
    return session.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()


def facts(passkey: Passkey) -> dict[str, object]:
    """What an audit row says of a passkey: never its id itself, only a keyed digest of it."""
    return {"credential": "passkey", "name": passkey.name,
            "credential_digest": short_digest(passkey.credential_id, "passkey"), "aaguid": passkey.aaguid,
            "backup_eligible": passkey.backup_eligible, "backed_up": passkey.backed_up}


def tell_owner(session: Session, owner: User, what: str, now: datetime) -> None:
    """A passkey added or removed is how an account is taken over: its owner always hears of it."""
    tell(session, owner, SECURITY, "Your Harmony Portal passkeys changed",
         email=f"Hello {owner.first_name},\n\n{what} (User ID {owner.user_id}).\n\n"
               "If this was not you, sign in, change your password, remove that passkey under User Profile > "
               "Two-Factor Devices and call the Harmony Help Desk at once.\n",
         note=f"{what}.", link=routes.PROFILE, now=now)


def failed(session: Session, user_id: int | None, purpose: str, reason: str, ip: str, now: datetime,
           message: str, passkey: Passkey | None = None) -> Invalid:
    """Audit and count a failed or cancelled ceremony (the "passkey" rate limit, never the lockout: it is not
    a guessed secret); returns the refusal to raise, which keeps the audit row."""
    audit.record(session, "auth.passkey_failed", actor_id=user_id, subject_user_id=user_id, ip=ip, now=now,
                 purpose=purpose, reason=reason, **(facts(passkey) if passkey else {}))
    rate_limits.check(session, "passkey", ip=ip, account=str(user_id or ""), now=now)
    return Invalid(FIELD, message).keeping_changes()
