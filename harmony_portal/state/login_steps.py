"""The database work of each sign-in step, run off the event loop (argon2 and the passkey checks are slow):
each returns what the login page needs next, usually a hand-off code for the new session."""

from __future__ import annotations

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.services.passkeys import assertion, offer, records
from harmony_portal.services.signin import authentication, devices, enrolment_codes, sessions


def first_step(user_id: str, password: str, ip: str) -> tuple[int, str, bool, str | None]:
    """Check the password (argon2: run off the event loop). Returns the user's id, the next
    step ("passkey", "code", or "enrolment" after a help-desk reset), whether they have an
    authenticator app and, for an account with no second factor yet and no code to enter, the
    hand-off code of an enrol-only session."""
    with session_scope() as session:
        user = authentication.check_password(session, user_id, password, ip=ip)
        has_code = devices.has_confirmed_device(session, user.id)
        if records.has_passkey(session, user.id):
            return user.id, "passkey", has_code, None
        if has_code:
            return user.id, "code", True, None
        if enrolment_codes.required(session, user.id):
            return user.id, "enrolment", False, None
        return user.id, "", False, sessions.sign_in(session, user, ip=ip, second_factor=False)


def second_step(check, user_id: int, code: str, ip: str, next_url: str) -> tuple[str, str]:
    """A code's second step: the hand-off code, and where to go ("Add a passkey?" first, when it is offered)."""
    with session_scope() as session:
        user = check(session, user_id, code, ip=ip)
        if offer.offer_now(session, user):
            next_url = routes.passkey_prompt_url(next_url)
        return sessions.sign_in(session, user, ip=ip, second_factor=True), next_url


def passkey_step(challenge_id: int, user_id: int, answer: object, ip: str, next_url: str) -> tuple[str, str]:
    with session_scope() as session:
        user = assertion.finish_second_step(session, challenge_id, user_id, answer, ip=ip)
        return sessions.sign_in(session, user, ip=ip, second_factor=True), next_url


def passwordless_step(challenge_id: int, answer: object, ip: str) -> str:
    with session_scope() as session:
        user = assertion.finish_passwordless(session, challenge_id, answer, ip=ip)
        return sessions.sign_in(session, user, ip=ip, second_factor=True)


def begin(ceremony, *args, ip: str) -> tuple[int, str]:
    """Start a passkey ceremony (``assertion.begin_sign_in`` or ``begin_passwordless``): its challenge id and
    the options for the browser."""
    with session_scope() as session:
        return ceremony(session, *args, ip=ip)


def enrolment_step(user_id: int, code: str, ip: str, next_url: str) -> tuple[str, str]:
    """The enrolment code instead of a security code: a hand-off to a session that may enrol."""
    with session_scope() as session:
        return authentication.redeem_enrolment_code(session, user_id, code, ip=ip), next_url
