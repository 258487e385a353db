"""User Lookup: an organization's users, searched by exact User ID or email; CSV export."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import threaded
from harmony_portal.services.errors import DomainError
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import as_text, form_fields, page_number
from harmony_portal.state.feedback import Feedback

__all__ = ["UserLookupState"]


class UserLookupState(Feedback, AuthState):
    organizations: list[dict[str, str]] = []  # {"id", "label": "Name (ID)"}
    organization: str = ""
    query: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    sole_official_of: list[str] = []

    @rx.event
    def load(self):
        self.error = self.message = ""
        try:
            user = self._require_user()
        except DomainError as exc:
            self.error = str(exc)
            return
        with session_scope() as session:
            self.organizations = role_queries.lookup_choices(session, user)
            self.sole_official_of = role_queries.sole_official_orgs(session, user)
        if self.organization not in {o["id"] for o in self.organizations}:
            self.organization = self.organizations[0]["id"] if self.organizations else ""
        self.query, self.page = "", 1
        self._search()

    def _search(self) -> None:
        self.error = self.message = ""
        if not self.organization:
            self.rows, self.total = [], 0
            return
        user = self._require_user()
        with session_scope() as session:
            self.rows, self.total = role_queries.lookup_users(session, user, self.organization, self.query,
                                                              page=self.page)
        if self.query and not self.rows:
            self.message = "No user matches."

    def _run_search(self) -> None:
        try:
            self._search()
        except DomainError as exc:
            self.rows, self.total = [], 0
            self.error = str(exc)

    @rx.event  # plain, not @threaded: Reflex's setvar("organization") calls it as the var's setter
    def set_organization(self, value: str):
        """Choosing an organization lists all its users at once."""
        self.organization, self.query, self.page = as_text(value), "", 1
        self._run_search()

    @rx.event
    @threaded
    def search(self, form: dict):
        form = form_fields(form)
        self.organization = str(form.get("organization", ""))
        self.query = str(form.get("user_id_or_email", "")).strip()
        self.page = 1
        if not self.organization:
            self.error = "Organization is required."
            return
        self._run_search()

    @rx.event
    def go_to_page(self, page: int):
        self.page = page_number(page, self.page_count)
        self._run_search()

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // role_queries.PAGE_SIZE))

    @rx.event
    def export_csv(self):
        try:
            user = self._require_user()
            with session_scope() as session:
                data = role_queries.export_csv(session, user, self.organization)
        except DomainError as exc:
            self.error = str(exc)
            return None
        return rx.download(data=data, filename=f"{self.organization}-users-and-roles.csv")
