"""Role Requests: one page's selection and rejection dialog; the queue itself is the live QueueFeed."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.live import QueueFeed, link_feed
from harmony_portal.services import decisions, role_queries
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.state.base import AuthState, form_fields, parse_id
from harmony_portal.state.off_loop import off_loop

__all__ = ["RoleRequestsState"]


class RoleRequestsState(AuthState):
    """The queue itself lives in QueueFeed; this keeps one page's selection and dialog."""

    selected: list[str] = []
    all_selected: bool = False
    selection_epoch: int = 0  # bumps when the server replaces the selection as a whole
    sole_official_of: list[str] = []
    reject_open: bool = False
    reject_error: str = ""
    message: str = ""
    error: str = ""

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
        with session_scope() as session:
            self.sole_official_of = role_queries.sole_official_orgs(session, active.user)
        await link_feed(self, active.record.id, active.user)

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
        feed = await self.get_state(QueueFeed)
        self.selected = feed._row_ids() if checked else []
        self.all_selected = bool(checked)
        self.selection_epoch += 1

    async def _live_selection(self) -> list[int]:
        """The selected ids still in the queue (rows decided elsewhere drop out)."""
        feed = await self.get_state(QueueFeed)
        present = set(feed._row_ids())
        return [int(i) for i in self.selected if i in present]

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
    async def approve(self):
        await self._decide(approve=True, reason="")

    @rx.event
    async def reject(self, form: dict):
        await self._decide(approve=False, reason=form_fields(form).get("rejection_reason", ""))

    def _decide_in_database(self, ids: list[int], approve: bool, reason: str) -> decisions.DecisionResult:
        user = self._require_user()
        with session_scope() as session:
            if approve:
                return decisions.approve_requests(session, user, ids)
            return decisions.reject_requests(session, user, ids, reason)

    async def _decide(self, *, approve: bool, reason: str) -> None:
        self.message = self.error = self.reject_error = ""
        try:
            ids = await self._live_selection() or [int(i) for i in self.selected]
            result = await off_loop(self._decide_in_database, ids, approve, reason)
        except Invalid as exc:
            if "rejection_reason" in exc.errors:
                self.reject_error = exc.errors["rejection_reason"]
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
        verb = "approved" if approve else "rejected"
        parts = [f"{len(result.decided)} request(s) {verb}."] if result.decided else []
        parts += [f"{name}'s request was already decided by {by}." for _id, name, by in result.already]
        self.message = " ".join(parts)
        # Every open queue, this one included, is updated by the push the decision scheduled.
