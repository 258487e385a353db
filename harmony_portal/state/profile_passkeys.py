"""User Profile > Two-Factor Devices: the passkeys, with "Sign in without a password" and Remove."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.passkeys import manage
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id


def _remove(user, passkey_id: int, proof: str, ip: str, keep: int | None) -> None:
    """Remove after the step-up (argon2 when a password: off the event loop)."""
    with session_scope() as session:
        manage.remove_passkey(session, user, passkey_id, step_up=proof, ip=ip, keep_session_id=keep)


class ProfilePasskeysState(AuthState):
    passkeys: list[dict[str, str]] = []
    removing_id: str = ""
    removing_name: str = ""
    step_up_error: str = ""
    error: str = ""
    message: str = ""

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            views = manage.list_passkeys(session, user)
        self.passkeys = [{"id": str(v.id), "name": v.name, "added": format_local(v.added),
                          "last_used": format_local(v.last_used) if v.last_used else "Never",
                          "passwordless": "yes" if v.passwordless else "",
                          "synced": "Synced" if v.synced else "This device only"} for v in views]

    @rx.event
    def load(self):
        self.error, self.message, self.removing_id, self.removing_name = "", "", "", ""
        if self.router.url.query_parameters.get("changed") == "passkey":
            self.message = "Passkey added. It is listed below with your other devices."
        try:
            self._reload()
        except DomainError:
            return

    @rx.event
    def set_passwordless(self, passkey_id: str, on: bool):
        self.error, self.message = "", ""
        if (target := parse_id(passkey_id)) is None:
            self.error = "Unknown passkey."
            return
        ip = self.router.session.client_ip or ""
        if refused := self._attempt(lambda s, u: manage.set_passwordless(s, u, target, on is True, ip=ip)):
            self.error = str(refused)
            return
        self.message = ("This passkey can now sign you in without a password." if on is True
                        else "This passkey no longer signs you in without a password.")
        self._reload()

    @rx.event
    def ask_remove(self, passkey_id: str):
        self.error, self.message, self.step_up_error = "", "", ""
        names = {p["id"]: p["name"] for p in self.passkeys}
        if str(passkey_id) not in names:
            self.error = "Unknown passkey."
            return
        self.removing_id, self.removing_name = str(passkey_id), names[str(passkey_id)]

    @rx.event
    def cancel_remove(self):
        self.removing_id = self.removing_name = self.step_up_error = ""

    @rx.event
    async def remove(self, form: dict):
        form = form_fields(form)
        target = parse_id(self.removing_id)
        self.error, self.message, self.step_up_error = "", "", ""
        try:
            active = self._require_session()
            if target is None:
                raise DomainError("Unknown passkey.")
            await off_loop(_remove, active.user, target, form.get("step_up", ""), self.router.session.client_ip or "",
                           active.record.id)
        except Invalid as exc:
            self.step_up_error = exc.errors.get("step_up", "")
            if not self.step_up_error:  # the last factor, or the policy's: not a matter of the answer
                self.error, self.removing_id, self.removing_name = str(exc), "", ""
            return
        except DomainError as exc:
            self.error, self.removing_id, self.removing_name = str(exc), "", ""
            return
        self.message = f"Passkey {self.removing_name} removed. Your other sessions were signed out."
        self.removing_id = self.removing_name = ""
        self._reload()
