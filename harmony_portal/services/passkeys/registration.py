"""Adding a passkey: the step-up, the options for the browser, then the checked answer saved.

Registration asks for attestation "none" (the portal trusts no authenticator maker, so it asks
for no proof of one), a discoverable credential (a passkey can sign in without a User ID) and
user verification (the device's PIN or biometric: the passkey is then two factors in one).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session
from webauthn import generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers.exceptions import InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from harmony_portal.models import Passkey, User, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.passkeys import challenges, names, records
from harmony_portal.services.passkeys.relying_party import (
    RP_NAME,
    TIMEOUT_MS,
    origin,
    parse_answer,
    rp_id,
    to_bytes,
    to_text,
)
from harmony_portal.services.signin import rate_limits
from harmony_portal.services.signin.sessions import ActiveSession
from harmony_portal.services.signin.step_up import verify_step_up

# A session that proved its second factor this recently needs no step-up to add a passkey (the
# sign-in was the step-up): the prompt after sign-in and the policy's page ask for nothing more.
FRESH_SIGN_IN = timedelta(minutes=5)
REFUSED = "That passkey could not be added. Try again, or use another device or browser."
TAKEN = "That passkey is already registered to an account."


def needs_step_up(active: ActiveSession, now: datetime | None = None) -> bool:
    """Whether adding a passkey in this session asks for the step-up first."""
    proved = active.record.second_factor_at
    return proved is None or (now or utc_now()) - proved > FRESH_SIGN_IN


def _user_handle(session: Session, user: User) -> bytes:
    """The account's WebAuthn user handle: random, made once, the same for all its passkeys."""
    if not user.passkey_user_handle:
        user.passkey_user_handle = to_text(secrets.token_bytes(32))
        session.add(user)
    return to_bytes(user.passkey_user_handle)


def begin(session: Session, active: ActiveSession, name: str, *, step_up: str = "", ip: str = "",
          now: datetime | None = None) -> tuple[int, str]:
    """Start adding a passkey for the signed-in user: (challenge id, options JSON for the browser).

    Raises:
        Invalid: on ``passkey_name`` (too long, or already one of theirs), or ``step_up`` (missing or wrong).
    """
    now = now or utc_now()
    user = session.get(User, active.user.id)
    wanted = names.clean(name)
    owned = records.of_user(session, user.id)
    if wanted and wanted.casefold() in {p.name.casefold() for p in owned}:
        raise Invalid(names.FIELD, f"You already have a passkey named {wanted}. Choose another name.")
    if needs_step_up(active, now):
        verify_step_up(session, user, step_up, purpose="passkey_added", ip=ip, session_id=active.record.id, now=now)
    challenge_id, challenge = challenges.issue(session, "register", user_id=user.id, session_id=active.record.id,
                                               passkey_name=wanted, now=now)
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=RP_NAME, user_id=_user_handle(session, user), user_name=user.user_id,
        user_display_name=f"{user.first_name} {user.last_name}".strip() or user.user_id, challenge=challenge,
        timeout=TIMEOUT_MS, attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        # The browser won't make a second passkey on a device that already holds one of theirs.
        exclude_credentials=[PublicKeyCredentialDescriptor(id=to_bytes(p.credential_id)) for p in owned],
    )
    return challenge_id, options_to_json(options)


def _transports(answer: dict) -> str:
    sent = answer.get("response", {}).get("transports") or []
    known = {t.value for t in AuthenticatorTransport}
    return ",".join(t for t in sent if isinstance(t, str) and t in known)[:200]


def finish(session: Session, active: ActiveSession, challenge_id: object, answer: object, *, ip: str = "",
           now: datetime | None = None) -> Passkey:
    """Check the browser's answer against this session's challenge and save the passkey.

    Raises:
        Invalid: on ``passkey``: a stale or foreign challenge, a cancelled dialog, an answer that does not
            verify (wrong origin or RP, no user verification), a credential already registered anywhere.
        RateLimited: too many failed passkey attempts.
    """
    now = now or utc_now()
    user = session.get(User, active.user.id)
    rate_limits.refuse_if_spent(session, "passkey", ip=ip, account=str(user.id), now=now)
    wanted, challenge = challenges.claim(session, challenge_id, "register", user_id=user.id,
                                         session_id=active.record.id, now=now)
    try:
        credential = parse_answer(answer)
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(), expected_origin=origin(),
            require_user_verification=True)
    except Invalid as exc:
        raise records.failed(session, user.id, "register", "cancelled", ip, now, str(exc)) from None
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise records.failed(session, user.id, "register", f"did not verify: {str(exc)[:120]}", ip, now,
                             REFUSED) from None
    credential_id = to_text(verified.credential_id)
    if records.by_credential(session, credential_id) is not None:
        raise records.failed(session, user.id, "register", "credential already registered", ip, now, TAKEN)
    taken = [p.name for p in records.of_user(session, user.id)]
    passkey = Passkey(
        user_id=user.id, name=names.unused_name(wanted or names.provider_name(verified.aaguid), taken),
        credential_id=credential_id, public_key=to_text(verified.credential_public_key),
        sign_count=verified.sign_count, aaguid=verified.aaguid, transports=_transports(credential),
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        created_at=now)
    session.add(passkey)
    session.flush()
    audit.record(session, "account.passkey_added", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now,
                 **records.facts(passkey))
    records.tell_owner(session, user, f"A passkey was added: {passkey.name}", now)
    return passkey
