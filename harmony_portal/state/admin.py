"""Administration: organizations and account help (unlock, reset two-factor, disable); the Maintenance
Windows, Announcements, Audit Log and Outbox sections have states of their own."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.models import utc_now
from harmony_portal.services import admin_queries, authentication, organizations
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.state.base import AuthState, form_fields, parse_id


class AdminState(AuthState):
    organizations: list[dict[str, str]] = []
    users: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    message: str = ""
    error: str = ""
    form_key: int = 0

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            require_admin(session, user)
            self.organizations = [{"id": o.id, "name": o.name, "type": o.provider_type}
                                  for o in organizations.list_organizations(session)]

    @rx.event
    def load(self):
        self.errors, self.message, self.error, self.users = {}, "", "", []
        try:
            self._reload()
        except DomainError as exc:
            self.error = str(exc)

    def _act(self, action, success: str) -> None:
        self.errors, self.message, self.error = {}, "", ""
        if refused := self._attempt(action):
            self.errors = refused.errors if isinstance(refused, Invalid) else {}
            self.error = str(refused)
            return
        self.message = success
        self._reload()

    @rx.event
    def add_organization(self, form: dict):
        form = form_fields(form)
        org_id = str(form.get("org_id", "")).strip()
        self._act(lambda s, u: organizations.add_organization(
            s, org_id, str(form.get("org_name", "")), str(form.get("provider_type", "")), actor=u),
            f"Organization {org_id} added.")
        if not self.errors:
            self.form_key += 1

    @rx.event
    def find_users(self, form: dict):
        form = form_fields(form)
        text = str(form.get("account", ""))
        self._act(lambda s, u: setattr(self, "users", admin_queries.find_users(s, u, text, utc_now())), "")

    @rx.event
    def unlock(self, user_id: str):
        if (target := parse_id(user_id)) is None:
            self.error = "Unknown user."
            return
        self._act(lambda s, u: authentication.unlock_account(s, u, target), "Account unlocked.")
        self.users = []

    @rx.event
    def reset_two_factor(self, user_id: str):
        if (target := parse_id(user_id)) is None:
            self.error = "Unknown user."
            return
        self._act(lambda s, u: authentication.reset_two_factor(s, u, target),
                  "Two-factor devices reset: the user sets up a new one at next sign-in.")

    @rx.event
    def set_active(self, user_id: str, active: bool):
        if (target := parse_id(user_id)) is None:
            self.error = "Unknown user."
            return
        self._act(lambda s, u: authentication.set_account_active(s, u, target, bool(active)),
                  "Account enabled." if active else "Account disabled: its sessions have ended.")
        self.users = []
