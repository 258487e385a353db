"""Role Requests: one page's selection and rejection dialog; the queue itself is the live QueueFeed."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.live.queues import link_feed
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.roles import decisions
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["RoleRequestsState"]


class RoleRequestsState(Feedback, AuthState):
    """The queue itself lives in QueueFeed; this keeps one page's selection and dialog."""

    selected: list[str] = []
    ends_on: str = ""  # "Access ends on" as typed: kept when refused
    ends_on_error: str = ""
    all_selected: bool = False
    selection_epoch: int = 0  # bumps when the server replaces the selection as a whole
    sole_official_of: list[str] = []
    reject_open: bool = False
    reject_error: str = ""

    @rx.event
    async def load(self):
        self.selected = []
        self.all_selected = False
        self.selection_epoch += 1
        self.reject_open = False
        self.message = self.error = ""
        try:
            active = self._require_session()
        except DomainError as exc:
            self.error = str(exc)
            return
        # Link only after the server has established who this is: the feed is this session's alone.
        self.sole_official_of = await off_loop(self._sole_official_of, active.user)
        await link_feed(self, active.record.id, active.user)

    @staticmethod
    def _sole_official_of(user) -> list[str]:
        with session_scope() as session:
            return role_queries.sole_official_orgs(session, user)

    def _queue_ids(self) -> list[str]:
        """The ids in this user's queue now, from the database (what the page was last sent)."""
        user = self._require_user()
        with session_scope() as session:
            return [str(i) for i in role_queries.decidable_ids(session, user)]

    @rx.event
    def toggle(self, request_id: str, checked: bool):
        # Only ids go into the selection: approve and reject turn every one into a number.
        if (parsed := parse_id(request_id)) is None:
            return
        request_id = str(parsed)
        if checked and request_id not in self.selected:
            self.selected = [*self.selected, request_id]
        elif not checked:
            self.selected = [i for i in self.selected if i != request_id]

    @rx.event
    async def toggle_all(self, checked: bool):
        try:
            self.selected = await off_loop(self._queue_ids) if checked else []
        except DomainError as exc:
            self.error = str(exc)
            self.selected = []
        self.all_selected = bool(checked) and bool(self.selected)
        self.selection_epoch += 1

    @rx.event
    def open_reject(self):
        self.error = ""
        if not self.selected:
            self.error = "Select at least one request."
            return
        self.reject_error = ""
        self.reject_open = True

    @rx.event
    def close_reject(self):
        self.reject_open = False

    @rx.event
    async def approve(self, form: dict):
        """Approve the selected requests, each until "Access ends on" (optional: the role's default term)."""
        self.ends_on = form_fields(form).get("ends_on", "")[:20]
        await self._decide(approve=True, reason="")

    @rx.event
    async def reject(self, form: dict):
        await self._decide(approve=False, reason=form_fields(form).get("rejection_reason", ""))

    def _decide_in_database(self, selected: list[int], approve: bool, reason: str,
                            ends_on: str = "") -> decisions.DecisionResult:
        user = self._require_user()
        with session_scope() as session:
            # Rows decided elsewhere meanwhile drop out; if none is left, the service says who decided them.
            present = set(role_queries.decidable_ids(session, user))
            ids = [i for i in selected if i in present] or selected
            if approve:
                return decisions.approve_requests(session, user, ids, ends_on=ends_on)
            return decisions.reject_requests(session, user, ids, reason)

    async def _decide(self, *, approve: bool, reason: str) -> None:
        self.message = self.error = self.reject_error = self.ends_on_error = ""
        try:
            result = await off_loop(self._decide_in_database, [int(i) for i in self.selected], approve, reason,
                                    self.ends_on if approve else "")
        except Invalid as exc:
            if "rejection_reason" in exc.errors:
                self.reject_error = exc.errors["rejection_reason"]
            elif "ends_on" in exc.errors:
                self.ends_on_error = exc.errors["ends_on"]
            else:
                self.error = str(exc)
            return
        except (DomainError, ValueError) as exc:
            self.error = str(exc) if isinstance(exc, DomainError) else "Unknown request."
            self.reject_open = False
            return
        self.reject_open = False
        self.selected = []
        self.all_selected = False
        self.selection_epoch += 1
        self.ends_on = ""
        verb = "approved" if approve else "rejected"
        count = len(result.decided)
        parts = [f"{count} request{'' if count == 1 else 's'} {verb}."] if count else []
        parts += [f"{name}'s request was already decided by {by}." for _id, name, by in result.already]
        self.message = " ".join(parts)
        # Every open queue, this one included, is updated by the push the decision scheduled.
