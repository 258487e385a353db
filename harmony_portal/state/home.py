"""Home: my roles, my role requests, my PQs, my onboarding checklist (announcements are in the page
shell, on every page)."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import threaded
from harmony_portal.live import home_roles
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.pq import queries as pq_queries
from harmony_portal.services.roles import more_time
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.signing import queries as signing_queries
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_values
from harmony_portal.state.feedback import Feedback

__all__ = ["HomeState"]


@home_roles.shows_my_roles
class HomeState(Feedback, AuthState):
    my_roles: list[dict[str, str]] = []
    my_requests: list[dict] = []
    my_pqs: list[dict[str, str]] = []
    forms_to_sign: list[dict[str, str]] = []  # Access Request forms waiting for this person's signature
    # The staff member's own onboarding checklist, once started: each step and when it was done.
    checklist: list[dict[str, str]] = []
    checklist_summary: str = ""
    checklist_override: str = ""
    more_time_id: str = ""  # the role the "Ask for more time" dialog is about
    more_time_values: dict[str, str] = {}  # as typed: kept when refused
    more_time_errors: dict[str, str] = {}

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            self.my_roles = role_queries.my_roles(session, user)
            self.my_requests = role_queries.my_requests(session, user)
            self.my_pqs = pq_queries.my_pqs(session, user)
            self.forms_to_sign = signing_queries.forms_to_sign(session, user)
            own = onboarding.own_checklist(session, user)
        self.checklist = [{"label": label, "done": format_local(done) if done else ""}
                          for _step, label, done in own.steps] if own else []
        self.checklist_summary = own.summary if own else ""
        self.checklist_override = own.override_reason if own and own.overridden else ""

    @rx.event
    def load(self):
        self.message = self.error = ""
        if refused := self._refused(self._reload):
            self.error = str(refused)

    @rx.event
    @threaded
    def cancel_request(self, request_id: str):
        self.message = self.error = ""
        if refused := self._attempt_on(request_id, "That request does not exist.", roles.cancel_request):
            self.error = str(refused)
            return
        self.message = "Your request was cancelled."
        self._reload()

    @rx.event
    def open_more_time(self, role_id: str):
        roles_here = {r["id"] for r in self.my_roles if r.get("more_time")}
        self.more_time_id = str(role_id) if str(role_id) in roles_here else ""
        self.more_time_values, self.more_time_errors, self.message, self.error = {}, {}, "", ""

    @rx.event
    def close_more_time(self):
        self.more_time_id, self.more_time_errors = "", {}

    @rx.event
    @threaded
    def ask_more_time(self, form: dict):
        """The holder asks to keep a role longer; the officials decide it like a role request."""
        self.more_time_values = form_values(form, ("ends_on", "justification"))
        typed, self.more_time_errors = self.more_time_values, {}
        refused = self._attempt_on(self.more_time_id, "Unknown role.", lambda session, user, role_id: (
            more_time.ask_more_time(session, user, role_id, typed["ends_on"], typed["justification"])))
        if isinstance(refused, Invalid):
            self.more_time_errors = refused.errors
            return
        self.more_time_id = ""
        if refused is not None:
            self.error = str(refused)
            return
        self.message = "You asked for more time. Your organization's Security Officials decide it."
        self._reload()
