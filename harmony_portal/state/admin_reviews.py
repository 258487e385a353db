"""Administration > Access reviews: "Start review", and each review's progress ("N of M reviewed")."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.errors import Invalid
from harmony_portal.services.reviews import queries, start
from harmony_portal.services.roles import organizations
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_values

FIELDS = ("organization", "due_on", "if_not_reviewed", "repeat_days")
ALL_ORGANIZATIONS = "All organizations"


class AdminReviewsState(AuthState):
    reviews: list[dict[str, str]] = []
    organization_choices: list[str] = []
    values: dict[str, str] = {}  # the start form as typed: kept when refused
    errors: dict[str, str] = {}
    review_error: str = ""
    review_message: str = ""
    form_key: int = 0

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            self.reviews = queries.progress(session, user)
            self.organization_choices = [ALL_ORGANIZATIONS] + [o.id for o in organizations.list_organizations(session)]

    @rx.event
    def load(self):
        self.errors, self.values, self.review_error, self.review_message = {}, {}, "", ""
        if refused := self._refused(self._reload):
            self.review_error = str(refused)

    @rx.event
    def start_review(self, form: dict):
        """"Start review" (audited); each organization's officials are told."""
        self.values = form_values(form, FIELDS)
        typed, self.errors, self.review_error, self.review_message = self.values, {}, "", ""
        org = "" if typed["organization"] == ALL_ORGANIZATIONS else typed["organization"]
        refused = self._attempt(lambda s, u: start.start_review(s, u, org, typed["due_on"], typed["if_not_reviewed"],
                                                                 repeat_days=typed["repeat_days"]))
        if isinstance(refused, Invalid):
            self.errors, self.review_error = refused.errors, "Please correct the fields marked below."
            return
        if refused is not None:
            self.review_error = str(refused)
            return
        self.values, self.form_key = {}, self.form_key + 1
        self.review_message = f"Review started: {typed['organization'] or ALL_ORGANIZATIONS}, due {typed['due_on']}."
        self._reload()
