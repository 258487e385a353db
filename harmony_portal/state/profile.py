"""User Profile: Profile Information, Change Password, Challenge Question, Two-Factor Devices, Email Notifications."""

from __future__ import annotations

from dataclasses import asdict, fields

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.accounts import email_change, identity
from harmony_portal.services.accounts import profile as accounts
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.notifications import email_preferences
from harmony_portal.services.passkeys import manage as passkey_manage
from harmony_portal.services.signin import sessions, two_factor
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id

_PROFILE_FIELDS = {f.name for f in fields(accounts.ProfileForm)}


def _change_password(active: sessions.ActiveSession, current: str, new: str, confirm: str) -> str:
    """Change it (argon2: run off the event loop), sign out every other session and retire this
    one's token; returns the hand-off code for the new one."""
    with session_scope() as session:
        accounts.change_password(session, active.user, current, new, confirm, keep_session_id=active.record.id)
        return sessions.rotate_session(session, active.record)


def _in_transaction(user, action) -> None:
    """Run ``action(session, user)`` in one transaction (on a worker thread: argon2 is slow)."""
    with session_scope() as session:
        action(session, user)


class ProfileState(AuthState):
    profile: dict[str, str] = {}
    challenge_question: str = ""
    devices: list[dict[str, str]] = []
    factor_count: int = 0  # authenticator apps and passkeys: the last one is never removed
    pending_email: str = ""
    email_choices: dict[str, bool] = {}  # category -> gets its emails (services/email_preferences)
    email_form_key: int = 0  # bumps when the saved choices replace what the checkboxes show
    removing_id: str = ""  # the device the Remove dialog is about
    removing_name: str = ""
    editing: bool = False
    errors: dict[str, str] = {}
    messages: dict[str, str] = {}
    form_key: int = 0

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            fresh = identity.current(session, user)
            self.profile = asdict(accounts.ProfileForm.of(fresh))
            self.challenge_question = fresh.challenge_question
            self.devices = [{"id": str(d.id), "name": d.name} for d in two_factor.list_devices(session, fresh)]
            self.factor_count = passkey_manage.second_factor_count(session, fresh.id)
            self.pending_email = email_change.pending_email(session, fresh.id)
            self.email_choices = email_preferences.choices_of(session, fresh.id)
        self.email_form_key += 1

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
        # One step-up field on the page at a time (the Remove dialog has one too).
        self.removing_id = self.removing_name = ""
        self.messages = {}
        self.form_key += 1

    @rx.event
    def cancel_edit(self):
        self.editing = False
        self.errors = {}

    def _run(self, section: str, action, success: str) -> bool:
        self.errors, self.messages = {}, {}
        return self._report(section, self._attempt(action), success)

    async def _run_verifying(self, section: str, action, success: str) -> bool:
        """Like ``_run``, for actions that verify a password: the service runs off the event loop."""
        self.errors, self.messages = {}, {}
        try:
            user = self._require_user()
            await off_loop(_in_transaction, user, action)
        except DomainError as exc:
            return self._report(section, exc, success)
        return self._report(section, None, success)

    def _ip(self) -> str:
        return self.router.session.client_ip or ""

    def _report(self, section: str, refused: DomainError | None, success: str) -> bool:
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
    async def save_profile(self, form: dict):
        form = form_fields(form)
        data = accounts.ProfileForm(**{k: str(v) for k, v in form.items() if k in _PROFILE_FIELDS})
        proof, ip = str(form.get("step_up", "")), self._ip()
        active = self._active(touch=False)  # a passkey this session just used answers the step-up
        session_id = active.record.id if active else None
        # Keep what was typed if it is refused.
        self.profile = asdict(data)
        if await self._run_verifying("profile", lambda s, u: accounts.update_profile(s, u, data, step_up=proof, ip=ip,
                                                                                  session_id=session_id),
                                     "Profile saved."):
            self.editing = False
            if self.pending_email and self.pending_email.lower() == data.email.strip().lower():
                self.messages = {"profile_ok": f"Profile saved. We sent a confirmation link to {self.pending_email}: "
                                               "your email address changes when you open it (within 24 hours)."}

    @rx.event
    async def change_password(self, form: dict):
        form = form_fields(form)
        self.errors, self.messages = {}, {}
        try:
            active = self._require_session()
            handoff = await off_loop(
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
    async def change_challenge(self, form: dict):
        form = form_fields(form)
        await self._run_verifying("challenge", lambda s, u: accounts.update_challenge(
            s, u, str(form.get("challenge_question", "")), str(form.get("challenge_answer", "")),
            str(form.get("challenge_password", ""))), "Challenge question saved.")

    @rx.event
    def rename_device(self, form: dict):
        form = form_fields(form)
        if (device_id := parse_id(form.get("device_id"))) is None:
            self.messages = {"devices": "Unknown device."}
            return
        self._run("devices", lambda s, u: two_factor.rename_device(
            s, u, device_id, str(form.get("device_name", ""))), "Device renamed.")

    @rx.event
    def ask_remove(self, device_id: str):
        """Open the Remove dialog (it asks for the step-up) for one of the listed devices."""
        self.errors, self.messages = {}, {}
        names = {d["id"]: d["name"] for d in self.devices}
        if str(device_id) not in names:
            self.messages = {"devices": "Unknown device."}
            return
        if self.factor_count <= 1:
            # No point asking for a password first; the service refuses this too.
            self.messages = {"devices": "You can't remove your only device. Add another one first."}
            return
        self.editing = False
        self.removing_id, self.removing_name = str(device_id), names[str(device_id)]

    @rx.event
    def cancel_remove(self):
        self.removing_id = self.removing_name = ""
        self.errors = {}

    @rx.event
    async def remove_device(self, form: dict):
        form = form_fields(form)
        device_id, proof, ip = str(self.removing_id), str(form.get("step_up", "")), self._ip()
        if not device_id.isdigit():
            self.messages = {"devices": "Unknown device."}
            return
        active = self._active(touch=False)
        keep = active.record.id if active else None
        removed = await self._run_verifying(
            "devices", lambda s, u: two_factor.remove_device(s, u, int(device_id), step_up=proof, ip=ip,
                                                             keep_session_id=keep),
            "Device removed. Your other sessions were signed out.")
        if removed or "step_up" not in self.errors:
            self.removing_id = self.removing_name = ""

    @rx.event
    def add_device(self):
        return rx.redirect(routes.TWO_FACTOR_SETUP)

    @rx.event
    def save_email_choices(self, form: dict):
        """The ticked categories are on, the rest off; security emails are not a choice."""
        form = form_fields(form)
        wanted = {key: bool(form.get(f"email_{key}")) for key in email_preferences.CHOICE_KEYS}
        self._run("email", lambda s, u: email_preferences.save_choices(s, u, wanted), "Email choices saved.")
