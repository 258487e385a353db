"""User Profile: Profile Information, Change Password, Challenge Question, Two-Factor Devices."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, fields

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.services import accounts, sessions, two_factor
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.state.base import AuthState

_PROFILE_FIELDS = {f.name for f in fields(accounts.ProfileForm)}


def _change_password(active: sessions.ActiveSession, current: str, new: str, confirm: str) -> str:
    """Change it (argon2: run off the event loop), sign out every other session and retire this
    one's token; returns the hand-off code for the new one."""
    with session_scope() as session:
        accounts.change_password(session, active.user, current, new, confirm, keep_session_id=active.record.id)
        return sessions.rotate_session(session, active.record)


class ProfileState(AuthState):
    profile: dict[str, str] = {}
    challenge_question: str = ""
    devices: list[dict[str, str]] = []
    editing: bool = False
    errors: dict[str, str] = {}
    messages: dict[str, str] = {}
    form_key: int = 0

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            fresh = session.get(type(user), user.id)
            self.profile = asdict(accounts.ProfileForm.of(fresh))
            self.challenge_question = fresh.challenge_question
            self.devices = [{"id": str(d.id), "name": d.name} for d in two_factor.list_devices(session, fresh)]

    @rx.event
    def load(self):
        self.errors, self.messages, self.editing = {}, {}, False
        try:
            self._reload()
        except DomainError:
            return
        if self.router.url.query_parameters.get("changed") == "password":
            self.messages = {"password_ok": "Password changed. Your other sessions were signed out."}

    @rx.event
    def edit(self):
        self.editing = True
        self.messages = {}
        self.form_key += 1

    @rx.event
    def cancel_edit(self):
        self.editing = False
        self.errors = {}

    def _run(self, section: str, action, success: str) -> bool:
        self.errors, self.messages = {}, {}
        refused = self._attempt(action)
        if isinstance(refused, Invalid):
            self.errors = refused.errors
            # Device errors have no field of their own to sit under.
            summary = str(refused) if section == "devices" else "Please correct the fields marked below."
            self.messages = {section: summary}
            return False
        if refused:
            self.messages = {section: str(refused)}
            return False
        self.messages = {section + "_ok": success}
        self._reload()
        return True

    @rx.event
    def save_profile(self, form: dict):
        data = accounts.ProfileForm(**{k: str(v) for k, v in form.items() if k in _PROFILE_FIELDS})
        # Keep what was typed if it is refused.
        self.profile = asdict(data)
        if self._run("profile", lambda s, u: accounts.update_profile(s, u, data), "Profile saved."):
            self.editing = False

    @rx.event
    async def change_password(self, form: dict):
        self.errors, self.messages = {}, {}
        try:
            active = self._require_session()
            handoff = await asyncio.to_thread(
                _change_password, active, str(form.get("current_password", "")),
                str(form.get("new_password", "")), str(form.get("confirm_new_password", "")))
        except Invalid as exc:
            self.errors = exc.errors
            self.messages = {"password": "Please correct the fields marked below."}
            return None
        except DomainError as exc:
            self.messages = {"password": str(exc)}
            return None
        # The old session token is already retired: a full page load sets the new cookie.
        return self._load_page(routes.session_handoff_url(handoff, routes.PROFILE + "?changed=password"))

    @rx.event
    def change_challenge(self, form: dict):
        self._run("challenge", lambda s, u: accounts.update_challenge(
            s, u, str(form.get("challenge_question", "")), str(form.get("challenge_answer", "")),
            str(form.get("challenge_password", ""))), "Challenge question saved.")

    @rx.event
    def rename_device(self, form: dict):
        try:
            device_id = int(form.get("device_id", ""))
        except ValueError:
            self.messages = {"devices": "Unknown device."}
            return
        self._run("devices", lambda s, u: two_factor.rename_device(
            s, u, device_id, str(form.get("device_name", ""))), "Device renamed.")

    @rx.event
    def remove_device(self, device_id: str):
        if not str(device_id).isdigit():
            self.messages = {"devices": "Unknown device."}
            return
        self._run("devices", lambda s, u: two_factor.remove_device(s, u, int(device_id)), "Device removed.")

    @rx.event
    def add_device(self):
        return rx.redirect(routes.TWO_FACTOR_SETUP)
