"""Administration: organizations and the passkey requirement; the Maintenance Windows, Announcements,
Users, Audit Log and Outbox sections have states of their own."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.passkeys import policy, requirement
from harmony_portal.services.roles import organizations, terms
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.feedback import Feedback


class AdminState(Feedback, AuthState):
    organizations: list[dict[str, str]] = []
    require_passkey: bool = False  # of Security Officials and the help desk
    without_passkey: int = 0  # how many of them have none yet (whom turning it on holds)
    role_terms: list[str] = []  # "Staff: 365 days", the default term of each role that has one
    errors: dict[str, str] = {}
    form_key: int = 0

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            require_admin(session, user)
            self.organizations = [{"id": o.id, "name": o.name, "type": o.provider_type}
                                  for o in organizations.list_organizations(session)]
            self.require_passkey = policy.current(session).require_passkey_for_grantors
            self.without_passkey = policy.grantors_without_passkey(session)
            self.role_terms = [f"{role}: {days} days" for role, days in sorted(terms.default_terms(session).items())]

    @rx.event
    def load(self):
        self.errors, self.message, self.error = {}, "", ""
        if refused := self._refused(self._reload):
            self.error = str(refused)

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
    def set_passkey_requirement(self, on: bool):
        """The checkbox "Require a passkey for Security Officials and the help desk" (audited)."""
        ip = self.router.session.client_ip or ""
        self._act(lambda s, u: requirement.set_requirement(s, u, on is True, ip=ip),
                  "Security Officials and the help desk must now sign in with a passkey." if on is True
                  else "A passkey is no longer required of Security Officials and the help desk.")

    @rx.event
    def set_role_term(self, form: dict):
        """How long a role lasts when its approval names no end date (empty: until removed)."""
        form = form_fields(form)
        role, days = form.get("role", ""), form.get("days", "")
        self._act(lambda s, u: terms.set_default_term(s, u, role, days),
                  f"{role} now lasts {days.strip()} days when approved." if days.strip()
                  else f"{role} now lasts until removed when approved.")
