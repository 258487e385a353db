"""Sign-in: User ID and password, then a security code (or a recovery code)."""

from __future__ import annotations

import time
from functools import partial

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.errors import DomainError, Invalid, RateLimited
from harmony_portal.services.signin import authentication, devices, enrolment_codes, sessions
from harmony_portal.state.base import AuthState, form_fields
from harmony_portal.state.feedback import Feedback

# The second step must follow the first promptly (wall clock: another worker may handle it).
_PENDING_SECONDS = 300
REASONS = {
    "idle": "You were signed out after 15 minutes without activity. Sign in again to continue.",
    "signed-out": "You are signed out.",
    "reset": "Your password was changed. Sign in with the new one.",
    "expired": "That sign-in did not finish in time. Sign in again.",
    "ended": "Your session has ended. Sign in again to continue.",
}


def _first_step(user_id: str, password: str, ip: str) -> tuple[int, str, str | None]:
    """Check the password (argon2: run off the event loop). Returns the user's id, the next
    step ("code", or "enrolment" after a help-desk reset) and, for an account with no
    authenticator yet and no code to enter, the hand-off code of an enrol-only session."""
    with session_scope() as session:
        user = authentication.check_password(session, user_id, password, ip=ip)
        if devices.has_confirmed_device(session, user.id):
            return user.id, "code", None
        if enrolment_codes.required(session, user.id):
            return user.id, "enrolment", None
        return user.id, "", sessions.sign_in(session, user, ip=ip, second_factor=False)


def _second_step(check, user_id: int, code: str, ip: str) -> str:
    with session_scope() as session:
        user = check(session, user_id, code, ip=ip)
        return sessions.sign_in(session, user, ip=ip, second_factor=True)


def _enrolment_step(user_id: int, code: str, ip: str) -> str:
    """The enrolment code instead of a security code: a hand-off to a session that may enrol."""
    with session_scope() as session:
        return authentication.redeem_enrolment_code(session, user_id, code, ip=ip)


class LoginState(Feedback, AuthState):
    step: str = "password"  # password | code | recovery | enrolment
    terms_error: str = ""
    _pending_user_id: int = 0
    _pending_since: float = 0.0

    def _ip(self) -> str:
        return self.router.session.client_ip or ""

    @rx.event
    def load(self):
        self.step = "password"
        self.error = self.terms_error = ""
        self._pending_user_id = 0
        self.message = REASONS.get(self.router.url.query_parameters.get("reason", ""), "")
        active = self._active(touch=False)
        if active is not None and active.second_factor:
            return rx.redirect(self._next())
        if active is None and self.signed_in:
            # The tab still thought it was signed in (the cookie cleared, the session ended elsewhere):
            # forget it now, before anything is typed, so no periodic check acts on it later.
            self._clear_identity()
        return None

    def _next(self) -> str:
        return routes.safe_next(self.router.url.query_parameters.get("next"))

    @rx.event
    async def submit_password(self, form: dict):
        form = form_fields(form)
        self.error = self.terms_error = ""
        if not form.get("agree_terms"):
            self.terms_error = "You must agree to the Terms & Conditions to log in."
            return None
        try:
            user_id, next_step, enrol_only = await off_loop(
                _first_step, str(form.get("user_id", "")), str(form.get("password", "")), self._ip())
        except DomainError as exc:
            self.error = str(exc)
            return None
        if enrol_only:  # no second factor yet: a session good for enrolling one, nothing else
            return self._load_page(routes.session_handoff_url(enrol_only, routes.TWO_FACTOR_SETUP))
        self._pending_user_id = user_id
        self._pending_since = time.time()
        self.step = next_step
        return None

    async def _second_step(self, step, code: str, next_url: str):
        """Run ``step(user_id, code, ip)`` (off the loop) for the user who passed the password.

        ``step`` returns a hand-off code; the page then loads ``next_url`` with the new session.
        """
        self.error = ""
        if not self._pending_user_id or time.time() - self._pending_since > _PENDING_SECONDS:
            self.step = "password"
            self.error = "Your sign-in took too long. Enter your User ID and Password again."
            return None
        try:
            handoff = await off_loop(step, self._pending_user_id, code, self._ip())
        except (Invalid, RateLimited) as exc:  # a wrong code, or too many: try again here
            self.error = str(exc)
            return None
        except DomainError as exc:  # locked: back to the start
            self.error = str(exc)
            self.step = "password"
            self._pending_user_id = 0
            return None
        self._pending_user_id = 0
        self.step = "password"
        return self._load_page(routes.session_handoff_url(handoff, next_url))

    @rx.event
    async def submit_code(self, form: dict):
        form = form_fields(form)
        return await self._second_step(partial(_second_step, authentication.check_security_code),
                                       str(form.get("security_code", "")), self._next())

    @rx.event
    async def submit_recovery_code(self, form: dict):
        form = form_fields(form)
        return await self._second_step(partial(_second_step, authentication.use_recovery_code),
                                       str(form.get("recovery_code", "")), self._next())

    @rx.event
    async def submit_enrolment_code(self, form: dict):
        """After a help-desk reset: the enrolment code, then straight to setting up an authenticator."""
        form = form_fields(form)
        return await self._second_step(_enrolment_step, str(form.get("enrolment_code", "")),
                                       routes.TWO_FACTOR_SETUP)

    @rx.event
    def show_recovery(self):
        self.error = ""
        self.step = "recovery"

    @rx.event
    def show_code(self):
        self.error = ""
        self.step = "code"
