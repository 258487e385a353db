"""Sign-in: User ID and password, then a passkey or a security code (or a recovery code); or a passkey alone."""

from __future__ import annotations

import time
from functools import partial

import reflex as rx

from harmony_portal import routes
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.errors import DomainError, Invalid, RateLimited
from harmony_portal.services.passkeys import assertion
from harmony_portal.services.passkeys.relying_party import unanswered
from harmony_portal.services.signin import authentication
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.feedback import Feedback
from harmony_portal.state.login_steps import (
    begin,
    enrolment_step,
    first_step,
    passkey_step,
    passwordless_step,
    second_step,
)
from harmony_portal.state.passkey_ceremony import ask_browser

# The second step must follow the first promptly (wall clock: another worker may handle it).
_PENDING_SECONDS = 300
TERMS = "You must agree to the Terms & Conditions to log in."
REASONS = {
    "idle": "You were signed out after 15 minutes without activity. Sign in again to continue.",
    "signed-out": "You are signed out.",
    "reset": "Your password was changed. Sign in with the new one.",
    "expired": "That sign-in did not finish in time. Sign in again.",
    "ended": "Your session has ended. Sign in again to continue.",
}


class LoginState(Feedback, AuthState):
    step: str = "password"  # password | passkey | code | recovery | enrolment
    terms_error: str = ""
    has_code: bool = False  # the account has an authenticator app (the passkey step offers it too)
    has_passkey_step: bool = False  # the account has a passkey (the code and recovery steps lead back to it)
    agreed: bool = False  # the Terms box, as ticked: "Sign in with a passkey" skips the form that sends it
    _pending_user_id: int = 0
    _pending_since: float = 0.0
    _challenge_id: int = 0  # the passkey ceremony under way (its challenge stays on the server)
    _autofill_challenge_id: int = 0  # the autofill request waiting in the browser (see start_autofill)
    _autofill_after_terms: bool = False  # a passkey was picked before the Terms box: offer them again once ticked

    def _ip(self) -> str:
        return self.router.session.client_ip or ""

    @rx.event
    def load(self):
        self.step = "password"
        self.error = self.terms_error = ""
        self._pending_user_id = self._challenge_id = 0
        self.agreed = self.has_passkey_step = self._autofill_after_terms = False
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
            self.terms_error = TERMS
            return None
        try:
            user_id, next_step, self.has_code, enrol_only = await off_loop(
                first_step, str(form.get("user_id", "")), str(form.get("password", "")), self._ip())
        except DomainError as exc:
            self.error = str(exc)
            return None
        if enrol_only:  # no second factor yet: a session good for enrolling one, nothing else
            return self._load_page(routes.session_handoff_url(enrol_only, routes.TWO_FACTOR_SETUP))
        self._pending_user_id = user_id
        self._pending_since = time.time()
        self.step = next_step
        self.has_passkey_step = next_step == "passkey"
        return None

    def _password_step_lapsed(self) -> bool:
        """No password passed in this tab, or too long ago: back to the first step, saying so."""
        if self._pending_user_id and time.time() - self._pending_since <= _PENDING_SECONDS:
            return False
        self.step = "password"
        self.error = "Your sign-in took too long. Enter your User ID and Password again."
        return True

    async def _second_step(self, step, code: object, next_url: str):
        """Run ``step(user_id, code, ip, next_url)`` (off the loop) for the user who passed the password.

        ``step`` returns a hand-off code and where to go; the page then loads that with the new session.
        """
        self.error = ""
        if self._password_step_lapsed():
            return None
        try:
            handoff, next_url = await off_loop(step, self._pending_user_id, code, self._ip(), next_url)
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
        return await self._second_step(partial(second_step, authentication.check_security_code),
                                       str(form.get("security_code", "")), self._next())

    @rx.event
    async def submit_recovery_code(self, form: dict):
        form = form_fields(form)
        return await self._second_step(partial(second_step, authentication.use_recovery_code),
                                       str(form.get("recovery_code", "")), self._next())

    @rx.event
    async def submit_enrolment_code(self, form: dict):
        """After a help-desk reset: the enrolment code, then straight to setting up an authenticator."""
        form = form_fields(form)
        return await self._second_step(enrolment_step, str(form.get("enrolment_code", "")),
                                       routes.TWO_FACTOR_SETUP)

    @rx.event
    async def use_passkey(self):
        """"Use a passkey" after the password: the server's challenge goes to the browser's dialog."""
        self.error = ""
        if self._password_step_lapsed():
            return None
        try:
            self._challenge_id, options = await off_loop(begin, assertion.begin_sign_in, self._pending_user_id,
                                                          ip=self._ip())
        except DomainError as exc:
            self.error = str(exc)
            return None
        return ask_browser("get", options, LoginState.finish_passkey)

    @rx.event
    async def finish_passkey(self, answer: str):
        challenge_id, self._challenge_id = self._challenge_id, 0
        return await self._second_step(partial(passkey_step, challenge_id), answer, self._next())

    @rx.event
    def set_agreed(self, ticked: bool):
        self.agreed = ticked is True
        if self.agreed and self._autofill_after_terms:
            self.terms_error, self._autofill_after_terms = "", False
            return LoginState.start_autofill
        return None

    @rx.event
    async def sign_in_with_passkey(self):
        """"Sign in with a passkey": no User ID, no password; the passkey says who (if it may sign in alone)."""
        self.error = self.terms_error = ""
        if not self.agreed:
            self.terms_error = TERMS
            return None
        try:
            self._challenge_id, options = await off_loop(begin, assertion.begin_passwordless, ip=self._ip())
        except DomainError as exc:
            self.error = str(exc)
            return None
        return ask_browser("get", options, LoginState.finish_passwordless)

    @rx.event
    async def finish_passwordless(self, answer: str):
        challenge_id, self._challenge_id = self._challenge_id, 0
        signed_in = await self._sign_in_without_password(challenge_id, answer)
        # The dialog stopped the autofill request; when it did not sign them in, the field offers passkeys again.
        return signed_in if signed_in is not None else LoginState.start_autofill

    async def _sign_in_without_password(self, challenge_id: int, answer: str):
        try:
            handoff = await off_loop(passwordless_step, challenge_id, answer, self._ip())
        except DomainError as exc:
            self.error = str(exc)
            return None
        return self._load_page(routes.session_handoff_url(handoff, self._next()))

    @rx.event
    async def start_autofill(self):
        """Passkeys in the User ID field's autofill ("conditional UI"): a request waits in the browser, with no
        dialog, until the person picks one there; the sign-in is then the same as "Sign in with a passkey"."""
        if self.step != "password" or self.signed_in:
            return None
        try:
            self._autofill_challenge_id, options = await off_loop(begin, assertion.begin_passwordless, ip=self._ip())
        except DomainError:
            return None  # too many tries: the field simply offers no passkeys; the button says why when pressed
        return ask_browser("autofill", options, LoginState.finish_autofill)

    @rx.event
    async def finish_autofill(self, answer: str):
        if reason := unanswered(answer):  # nobody picked one: stopped, renewed, or no autofill in this browser
            return LoginState.start_autofill if reason == "TimeoutError" and self.step == "password" else None
        challenge_id, self._autofill_challenge_id = self._autofill_challenge_id, 0
        if self.step != "password":
            return None
        if not self.agreed:  # picked before the Terms box: ticking it offers the passkeys again
            self.terms_error, self._autofill_after_terms = TERMS, True
            return None
        self.error = self.terms_error = ""
        return await self._sign_in_without_password(challenge_id, answer)

    @rx.event
    def show_passkey(self):
        self.error = ""
        self.step = "passkey"

    @rx.event
    def show_recovery(self):
        self.error = ""
        self.step = "recovery"

    @rx.event
    def show_code(self):
        self.error = ""
        self.step = "code"
