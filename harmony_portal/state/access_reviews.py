"""Access Reviews: the rows an official (or the help desk) decides, with checkboxes, Select recommended,
Keep and Remove; the rows themselves live in ``ReviewFeed`` (pushed to every official's tab at once)."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.live.reviews import ReviewFeed, rows_of
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.reviews import decide, queries
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["AccessReviewsState"]


class AccessReviewsState(Feedback, AuthState):
    selected: list[str] = []
    selection_epoch: int = 0  # bumps when the server replaces the selection (checkboxes remount)
    all_selected: bool = False  # "Select all" as the server last set it
    remove_open: bool = False
    remove_error: str = ""

    def _view(self) -> dict[str, object]:
        """The feed's rows and total, read afresh (and the reviews marked opened by this official)."""
        user = self._require_user()
        with session_scope() as session:
            queries.mark_opened(session, user)
            return rows_of(session, user)

    def _select(self, ids: list[str], *, every_row: bool = False) -> None:
        self.selected = ids
        self.all_selected = every_row and bool(ids)
        self.selection_epoch += 1

    @rx.event
    async def load(self):
        self.message = self.error = ""
        self.remove_open = False
        self._select([])
        try:
            view = await off_loop(self._view)
        except DomainError as exc:
            self.error, view = str(exc), {"rows": [], "total": 0}
        feed = await self.get_state(ReviewFeed)
        feed.rows, feed.total = view["rows"], view["total"]

    @rx.event
    def toggle(self, item_id: str, checked: bool):
        if (parsed := parse_id(item_id)) is None:
            return
        item_id = str(parsed)
        if checked is True and item_id not in self.selected:
            self.selected = [*self.selected, item_id]
        elif checked is not True:
            self.selected = [i for i in self.selected if i != item_id]

    @rx.event
    async def toggle_all(self, checked: bool):
        """"Select all": every row shown, read afresh (unchecked: none)."""
        rows = []
        if checked is True:
            try:
                rows = (await off_loop(self._view))["rows"]
            except DomainError as exc:
                self.error = str(exc)
        self._select([r["id"] for r in rows], every_row=True)

    @rx.event
    async def select_recommended(self):
        """Check the rows recommended for removal ("Not signed in for 90 days"), read afresh."""
        try:
            view = await off_loop(self._view)
        except DomainError as exc:
            self.error = str(exc)
            return
        self._select([r["id"] for r in view["rows"] if r["recommendation"]])
        self.message = f"{len(self.selected)} recommended row{'' if len(self.selected) == 1 else 's'} selected."

    @rx.event
    def open_remove(self):
        self.error = ""
        if not self.selected:
            self.error = "Select at least one row."
            return
        self.remove_error, self.remove_open = "", True

    @rx.event
    def close_remove(self):
        self.remove_open = False

    @rx.event
    async def keep(self):
        await self._decide(decide.KEEP, "")

    @rx.event
    async def remove(self, form: dict):
        await self._decide(decide.REMOVE, form_fields(form).get("removal_reason", ""))

    def _decide_in_database(self, ids: list[int], decision: str, reason: str) -> decide.Decided:
        user = self._require_user()
        with session_scope() as session:
            return decide.decide(session, user, ids, decision, reason)

    async def _decide(self, decision: str, reason: str) -> None:
        self.message = self.error = self.remove_error = ""
        ids = [int(i) for i in self.selected if parse_id(i) is not None]
        try:
            result = await off_loop(self._decide_in_database, ids, decision, reason)
        except Invalid as exc:
            if "removal_reason" in exc.errors:
                self.remove_error = exc.errors["removal_reason"]
            else:
                self.error = str(exc)
            return
        except DomainError as exc:
            self.error, self.remove_open = str(exc), False
            return
        self.remove_open = False
        self._select([])
        verb = "kept" if decision == decide.KEEP else "removed"
        count = len(result.decided)
        parts = [f"{count} row{'' if count == 1 else 's'} {verb}."] if count else []
        parts += [f"{name}'s row was already decided by {by}." for name, by in result.already]
        self.message = " ".join(parts)
        # Every official's page, this one included, gets its rows from the push the decision scheduled.
