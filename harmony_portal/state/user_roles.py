"""User Roles: one user's roles at the viewer's organizations, and Remove."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.roles import grants, terms
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["UserRolesState"]


class UserRolesState(Feedback, AuthState):
    profile: dict[str, str] = {}
    grants: list[dict[str, str]] = []
    history: list[dict[str, str]] = []  # "Role history": how their roles here came and went
    confirm_id: str = ""
    extending_id: str = ""  # the role whose "Access ends on" the dialog changes
    ends_on_error: str = ""

    def _target_id(self) -> int:
        target = parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])
        if target is None:
            raise ValueError("not a user id")
        return target

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            target, self.grants, self.history = role_queries.user_page(session, user, self._target_id())
        dob = target.date_of_birth.isoformat() if target.date_of_birth else ""
        self.profile = {"First Name": target.first_name, "Middle Name": target.middle_name,
                        "Last Name": target.last_name, "Date of Birth": dob, "Email Address": target.email,
                        "Phone Number": target.phone, "City": target.city, "State": target.state,
                        "ZIP Code": target.zip_code, "Country": target.country, "User ID": target.user_id}

    @rx.event
    def load(self):
        self.message = self.error = self.confirm_id = ""
        self.profile, self.grants, self.history = {}, [], []
        try:
            self._reload()
        except (DomainError, ValueError):
            self.error = "You can only view users of organizations you represent."

    @rx.event
    def ask_remove(self, grant_id: str):
        parsed = parse_id(grant_id)
        self.confirm_id = "" if parsed is None else str(parsed)

    @rx.event
    def cancel_remove(self):
        self.confirm_id = ""

    @rx.event
    async def remove(self, form: dict):
        self.message = self.error = ""
        try:
            user = self._require_user()
            with session_scope() as session:
                grant = grants.remove_role(session, user, int(self.confirm_id),
                                          reason=form_fields(form).get("reason", ""))
        except (DomainError, ValueError) as exc:
            self.error = str(exc) if isinstance(exc, DomainError) else "Unknown role."
            self.confirm_id = ""
            return
        self.confirm_id = ""
        self.message = f"Removed the {grant.role} role at {grant.organization_id}."
        try:
            self._reload()
        except (DomainError, ValueError):  # no tie left (or no user in the address): nothing more to show
            self.grants, self.profile = [], {}

    @rx.event
    def ask_extend(self, grant_id: str):
        parsed = parse_id(grant_id)
        self.extending_id, self.ends_on_error = ("" if parsed is None else str(parsed)), ""

    @rx.event
    def cancel_extend(self):
        self.extending_id = self.ends_on_error = ""

    @rx.event
    def extend(self, form: dict):
        """Change a role's "Access ends on" (empty: until removed); the holder is told."""
        self.message = self.error = self.ends_on_error = ""
        target, typed = parse_id(self.extending_id), form_fields(form).get("ends_on", "")
        if target is None:
            self.error, self.extending_id = "Unknown role.", ""
            return
        refused = self._attempt(lambda session, user: terms.extend(session, user, target, typed))
        if isinstance(refused, Invalid) and "ends_on" in refused.errors:
            self.ends_on_error = refused.errors["ends_on"]
            return
        self.extending_id = ""
        if refused is not None:
            self.error = str(refused)
            return
        self.message = f"Access ends on {typed}." if typed else "The role now lasts until removed."
        try:
            self._reload()
        except (DomainError, ValueError):  # no user in the address: nothing more to show
            self.grants, self.profile = [], {}
