"""Using a passkey: after the password (the second factor), instead of the password (a passkey that may
sign in alone), and as the step-up before a sensitive change.

A failed or cancelled use is audited and counted against the "passkey" rate limit, never the
account lockout: it is not a guessed secret, and counting it there would let anyone lock a known
User ID out. The sign counter must grow unless it stays 0 (synced passkeys never count); the
backup flags are updated as the passkey reports them (they change when a passkey syncs).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from webauthn import generate_authentication_options, options_to_json, verify_authentication_response
from webauthn.helpers.exceptions import InvalidAuthenticationResponse
from webauthn.helpers.structs import CredentialDeviceType, PublicKeyCredentialDescriptor, UserVerificationRequirement

from harmony_portal.models import Passkey, User, UserSession, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.passkeys import challenges, records
from harmony_portal.services.passkeys.relying_party import FIELD, TIMEOUT_MS, origin, parse_answer, rp_id, to_bytes
from harmony_portal.services.signin import authentication, rate_limits
from harmony_portal.services.signin.sessions import ActiveSession

REFUSED = "That passkey could not confirm it is you. Try again, or use another way."
NOT_HERE = "That passkey is not registered to this account. Choose another passkey, or use another way."
NOT_PASSWORDLESS = ("That passkey is not set to sign in without a password. Sign in with your User ID and "
                    "password, then turn on \"Sign in without a password\" for it under User Profile.")


def _options(challenge: bytes, passkeys: list[Passkey]) -> str:
    return options_to_json(generate_authentication_options(
        rp_id=rp_id(), challenge=challenge, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=to_bytes(p.credential_id)) for p in passkeys]))


def begin_sign_in(session: Session, user_id: int, *, ip: str = "", now: datetime | None = None) -> tuple[int, str]:
    """After the password: a challenge for this user's passkeys (challenge id, options JSON)."""
    now = now or utc_now()
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, account=str(user_id), now=now)
    passkeys = records.of_user(session, user_id)
    if not passkeys:
        raise Invalid(FIELD, "This account has no passkey. Use your security code.")
    challenge_id, challenge = challenges.issue(session, "sign_in", user_id=user_id, now=now)
    return challenge_id, _options(challenge, passkeys)


def begin_passwordless(session: Session, *, ip: str = "", now: datetime | None = None) -> tuple[int, str]:
    """"Sign in with a passkey": a challenge for whichever passkey the browser offers (discoverable)."""
    now = now or utc_now()
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, now=now)
    challenge_id, challenge = challenges.issue(session, "passwordless", now=now)
    return challenge_id, _options(challenge, [])


def begin_step_up(session: Session, active: ActiveSession, *, ip: str = "",
                  now: datetime | None = None) -> tuple[int, str]:
    """A step-up with one of the signed-in user's passkeys, bound to this session."""
    now = now or utc_now()
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, account=str(active.user.id), now=now)
    passkeys = records.of_user(session, active.user.id)
    if not passkeys:
        raise Invalid(FIELD, "You have no passkey. Use your password or a security code.")
    challenge_id, challenge = challenges.issue(session, "step_up", user_id=active.user.id,
                                               session_id=active.record.id, now=now)
    return challenge_id, _options(challenge, passkeys)


def _checked(session: Session, answer: object, challenge: bytes, purpose: str, *, owner_id: int | None,
             ip: str, now: datetime) -> Passkey:
    """The passkey that answered, its counter and flags brought up to date; Invalid (audited, counted) unless
    the answer verifies for ``challenge``, from this portal's origin, with user verification, by a passkey of
    ``owner_id`` (any passkey that may sign in alone, when None)."""
    try:
        credential = parse_answer(answer)
    except Invalid as exc:
        raise records.failed(session, owner_id, purpose, "cancelled", ip, now, str(exc)) from None
    passkey = records.by_credential(session, credential["id"])
    if passkey is None or (owner_id is not None and passkey.user_id != owner_id):
        raise records.failed(session, owner_id, purpose, "unknown credential", ip, now, NOT_HERE)
    if owner_id is None and not passkey.passwordless:
        raise records.failed(session, passkey.user_id, purpose, "not set for sign-in without a password", ip, now,
                      NOT_PASSWORDLESS, passkey)
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(), expected_origin=origin(),
            credential_public_key=to_bytes(passkey.public_key), credential_current_sign_count=passkey.sign_count,
            require_user_verification=True)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        reason = str(exc)[:160]
        if "sign count" in reason.lower():
            reason = "sign counter did not grow (a cloned passkey?)"
        raise records.failed(session, passkey.user_id, purpose, reason, ip, now, REFUSED, passkey) from None
    if owner_id is None and not _handle_matches(session, passkey, credential):
        raise records.failed(session, passkey.user_id, purpose, "user handle does not match", ip, now, REFUSED,
                             passkey)
    passkey.sign_count = verified.new_sign_count
    passkey.backup_eligible = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now
    session.add(passkey)
    audit.record(session, "auth.passkey_used", actor_id=passkey.user_id, subject_user_id=passkey.user_id, ip=ip,
                 now=now, purpose=purpose, **records.facts(passkey))
    return passkey


def _handle_matches(session: Session, passkey: Passkey, credential: dict) -> bool:
    """A discoverable sign-in names its account by user handle: it must be the passkey owner's."""
    sent = credential["response"].get("userHandle")
    owner = session.get(User, passkey.user_id)
    return bool(sent) and owner is not None and owner.passkey_user_handle == sent


def finish_second_step(session: Session, challenge_id: object, user_id: int, answer: object, *, ip: str = "",
                   now: datetime | None = None) -> User:
    """The second step with a passkey, for the user who passed the password. Returns the user."""
    now = now or utc_now()
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAllowed()
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, account=str(user.id), now=now)
    authentication.check_not_locked(user, now)
    _name, challenge = challenges.claim(session, challenge_id, "sign_in", user_id=user.id, now=now)
    _checked(session, answer, challenge, "sign_in", owner_id=user.id, ip=ip, now=now)
    authentication.finish_sign_in(session, user, now, ip, "passkey")
    return user


def finish_passwordless(session: Session, challenge_id: object, answer: object, *, ip: str = "",
                        now: datetime | None = None) -> User:
    """"Sign in with a passkey": the passkey (with its PIN or biometric) is both factors. Returns the user."""
    now = now or utc_now()
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, now=now)
    _name, challenge = challenges.claim(session, challenge_id, "passwordless", now=now)
    passkey = _checked(session, answer, challenge, "passwordless", owner_id=None, ip=ip, now=now)
    user = session.get(User, passkey.user_id)
    if user is None or not user.is_active:
        raise Invalid(FIELD, "This account is disabled. Call the Harmony Help Desk.").keeping_changes()
    authentication.check_not_locked(user, now)
    authentication.finish_sign_in(session, user, now, ip, "passkey without password")
    return user


def finish_step_up(session: Session, active: ActiveSession, challenge_id: object, answer: object, *,
                   ip: str = "", now: datetime | None = None) -> None:
    """The signed-in user confirmed it is them with a passkey: their next sensitive change in this session,
    within two minutes, needs no password or code (``step_up.take_passkey_step_up``)."""
    now = now or utc_now()
    user = session.get(User, active.user.id)
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, account=str(user.id), now=now)
    authentication.check_not_locked(user, now)
    _name, challenge = challenges.claim(session, challenge_id, "step_up", user_id=user.id,
                                        session_id=active.record.id, now=now)
    _checked(session, answer, challenge, "step_up", owner_id=user.id, ip=ip, now=now)
    record = session.get(UserSession, active.record.id)
    record.passkey_step_up_at = now
    session.add(record)
