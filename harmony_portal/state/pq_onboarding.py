"""The onboarding part of a PQ page: accepting an Access Coordinator Agreement (help desk),
an Access Coordinator's staff requests, and each staff member's checklist.

A substate of PQDetailState: it reads the PQ's id and the page's messages from there, and
refreshes the PQ (status, History) after each change. Every handler asks the services,
which decide who may do what; the page only hides what a user can't do.
"""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.onboarding import staff_access
from harmony_portal.state.event_args import as_text, form_fields, parse_id
from harmony_portal.state.pq_detail import PQDetailState

__all__ = ["PQOnboardingState"]

_STAFF_FIELDS = ("staff_user_id", "staff_email", "staff_role")


def _request_row(r: staff_access.StaffRequest) -> dict[str, str]:
    """One staff request as the page shows it; each step's key holds when it was done ("" not yet)."""
    row = {"id": str(r.id), "user": str(r.staff.id), "name": r.staff.name, "login": r.staff.user_id,
           "role": r.role, "status": r.status.capitalize(), "requested_by": r.requested_by,
           "summary": r.checklist.summary, "may_mark": "yes" if r.may_mark else "",
           "satisfied": "yes" if r.checklist.satisfied else "", "override": r.checklist.override_reason}
    row.update({step: format_local(done) if done else "" for step, _label, done in r.checklist.steps})
    return row


class PQOnboardingState(PQDetailState):
    coordinator_candidates: list[dict[str, str]] = []  # help desk: whom the agreement may name
    may_request_staff: bool = False
    staff_requests: list[dict[str, str]] = []
    staff_errors: dict[str, str] = {}
    staff_form_key: int = 0
    override_open: bool = False
    override_name: str = ""
    override_error: str = ""
    _override_user: int | None = None

    def _refresh(self) -> None:
        user, pq_id = self._require_user(), self._asked_pq_id()
        with session_scope() as session:
            part = staff_access.onboarding_part(session, user, pq_id)
        self.may_request_staff = part.may_request_staff
        self.staff_requests = [_request_row(r) for r in part.requests]
        self.coordinator_candidates = [{"id": str(p.id), "name": p.name, "login": p.user_id}
                                       for p in part.candidates]

    @rx.event
    def load_onboarding(self):
        """After PQDetailState.load (the page's on_load runs both), and after a note is saved."""
        self.staff_errors, self.override_open = {}, False
        try:
            self._refresh()
        except DomainError:
            self.coordinator_candidates, self.staff_requests, self.may_request_staff = [], [], False

    def _change(self, action, success: str) -> DomainError | None:
        """Run ``action(session, user, pq_id)``, show the outcome, refresh the PQ and this part.

        Returns the refusal, if any (already shown at the top of the page)."""
        self.error = self.message = ""
        try:
            user, pq_id = self._require_user(), self._asked_pq_id()
            with session_scope() as session:
                action(session, user, pq_id)
        except DomainError as exc:
            self.error = str(exc)
            return exc
        self.message = success
        try:
            self._reload()
            self._refresh()
        except DomainError as exc:
            self.error = str(exc)
        return None

    @rx.event
    def accept_agreement(self, user_id: str):
        """Accept Access Coordinator Agreement: the named person becomes the Access Coordinator."""
        uid = parse_id(user_id)
        name = next((c["name"] for c in self.coordinator_candidates if c["id"] == str(uid)), "The named person")
        self._change(lambda s, u, i: staff_access.accept_coordinator_agreement(s, u, i, uid or 0),
                     f"Access Coordinator Agreement accepted: {name} is the Access Coordinator.")

    @rx.event
    def request_staff(self, form: dict):
        """Request Staff Access: an Access Coordinator asks for a staff member's role."""
        data = {k: form_fields(form).get(k, "") for k in _STAFF_FIELDS}
        self.staff_errors = {}
        refusal = self._change(lambda s, u, i: staff_access.request_staff_access(
            s, u, i, data["staff_user_id"], data["staff_email"], data["staff_role"]),
            "Access requested. Approval waits until the staff member's checklist is complete.")
        if isinstance(refusal, Invalid):
            self.staff_errors = refusal.errors  # beside the fields; what was typed stays (uncontrolled)
        elif refusal is None:
            self.staff_form_key += 1  # an empty form for the next staff member

    @rx.event
    def mark(self, user_id: str, step: str, done: bool):
        """Mark done / Mark not done on one checklist step."""
        uid, step, done = parse_id(user_id), as_text(step), done is True
        label = onboarding.STEPS.get(step, "Step")
        self._change(lambda s, u, _i: onboarding.mark_step(s, u, uid or 0, step, done),
                     f"{label}: {'done' if done else 'not done'}.")

    @rx.event
    def open_override(self, user_id: str):
        row = next((r for r in self.staff_requests if r["user"] == as_text(user_id)), None)
        if row is None or not self.help_desk:
            return
        self._override_user, self.override_name = parse_id(row["user"]), row["name"]
        self.override_error, self.override_open = "", True

    @rx.event
    def close_override(self):
        self.override_open = False

    @rx.event
    def override_checklist(self, form: dict):
        """Override checklist (administrators, with a reason): approval may go ahead."""
        reason = form_fields(form).get("override_reason", "")
        uid = self._override_user
        refusal = self._change(lambda s, u, _i: onboarding.override(s, u, uid or 0, reason),
                               f"Checklist overridden for {self.override_name}.")
        if refusal is None:
            self.override_open = False
        else:
            self.override_error, self.error = str(refusal), ""
