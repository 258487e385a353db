"""Adding a passkey: from User Profile's dialog, the "Add a passkey?" offer after sign-in, and the page
the passkey policy holds someone on ("Add a passkey to continue")."""

from __future__ import annotations

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.passkeys import registration
from harmony_portal.services.signin.sessions import ActiveSession
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.passkey_ceremony import PasskeyCeremony, ask_browser

PROFILE_ADDED = routes.PROFILE + "?changed=passkey"


def _begin(active: ActiveSession, name: str, proof: str, ip: str) -> tuple[int, str]:
    """The step-up (argon2 when a password: off the event loop), then the options for the browser."""
    with session_scope() as session:
        return registration.begin(session, active, name, step_up=proof, ip=ip)


def _finish(active: ActiveSession, challenge_id: int, answer: object, ip: str) -> str:
    with session_scope() as session:
        return registration.finish(session, active, challenge_id, answer, ip=ip).name


class PasskeyAddState(PasskeyCeremony, AuthState):
    adding: bool = False  # User Profile's "Add passkey" dialog is open
    needs_step_up: bool = False  # the sign-in was not just now: password, code or passkey first
    name: str = ""  # as typed: kept when refused
    error: str = ""
    errors: dict[str, str] = {}
    _then: str = PROFILE_ADDED  # where a new passkey leads

    def _reset_form(self, then: str) -> None:
        self.error, self.errors, self.name, self._challenge_id, self._then = "", {}, "", 0, then

    def _may_add(self) -> ActiveSession | None:
        try:
            active = self._require_session(adding_passkey=True)
        except DomainError as exc:
            self.error = str(exc)
            return None
        self.needs_step_up = registration.needs_step_up(active)
        return active

    @rx.event
    def load(self):
        """The offer and the policy's page: a new passkey leads on to the page that was asked for."""
        self._reset_form(routes.safe_next(self.router.url.query_parameters.get("next")))
        self.adding = False
        self._may_add()

    @rx.event
    def open_dialog(self):
        """User Profile's "Add passkey": a dialog with the name and (unless just signed in) the step-up."""
        self._reset_form(PROFILE_ADDED)
        self.adding = self._may_add() is not None

    @rx.event
    def close_dialog(self):
        self._reset_form(PROFILE_ADDED)
        self.adding = False

    @rx.event
    async def start(self, form: dict):
        """The name (and step-up) checked, the browser's dialog opens with the server's options."""
        form = form_fields(form)
        self.name, self.error, self.errors = form.get("passkey_name", "")[:200], "", {}
        try:
            active = self._require_session(adding_passkey=True)
            self._challenge_id, options = await off_loop(
                _begin, active, self.name, form.get("step_up", ""), self.router.session.client_ip or "")
        except Invalid as exc:
            self.errors, self.error = exc.errors, "Please correct the fields marked below."
            return None
        except DomainError as exc:
            self.error = str(exc)
            return None
        return ask_browser("create", options, PasskeyAddState.finish)

    @rx.event
    async def finish(self, answer: str):
        if refused := await self._answer(_finish, answer):
            self.error = refused
            return None
        self.adding = False
        return rx.redirect(self._then)

    @rx.event
    def not_now(self):
        """"Not now" on the offer: on to the page that was asked for (asked again in 30 days)."""
        return rx.redirect(self._then)
