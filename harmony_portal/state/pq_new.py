"""Add PQ (/pq/new): the form, its server-side draft, and Save PQ."""

from __future__ import annotations

import secrets
from dataclasses import fields

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import threaded
from harmony_portal.services.errors import DomainError
from harmony_portal.services.pq import drafts
from harmony_portal.services.pq import filing as pq
from harmony_portal.services.pq.access import is_help_desk, provider_choices
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import client_key_of, form_fields, form_values
from harmony_portal.state.feedback import Feedback

__all__ = ["PQNewState"]

_FIELDS = [f.name for f in fields(pq.PQForm)]
_DRAFT = ("pq", "new")  # one unsaved new PQ per user, kept until it is saved


class PQNewState(Feedback, AuthState):
    providers: list[dict[str, str]] = []
    no_provider: bool = False  # loaded, and this person has no organization to file for
    values: dict[str, str] = {}  # what the form starts with: the draft, or what was typed when refused
    assigned_resource: str = ""
    may_set_status: bool = False
    errors: dict[str, str] = {}
    draft_restored: bool = False
    form_key: int = 0  # bumps to re-render the uncontrolled form with new defaults
    _saved: bool = False  # this form was filed: a draft save still on its way must not revive it
    # Made when a new form opens (kept when the page is opened again, e.g. after reconnecting to
    # another node, until the form is saved): a repeated save returns the PQ the first one filed,
    # and the browser keeps what is typed under it (assets/keep_typing.js).
    client_key: str = ""

    def _route(self, inquiry_type: str) -> None:
        with session_scope() as session:
            self.assigned_resource = pq.route_for(session, inquiry_type) if inquiry_type else ""

    @rx.event
    def load(self):
        if self._saved or not self.client_key:
            self.client_key = secrets.token_urlsafe(24)
        self.errors, self.error, self._saved = {}, "", False
        try:
            user = self._require_user()
            with session_scope() as session:
                self.providers = provider_choices(session, user)
                self.no_provider = not self.providers
                draft = drafts.load_draft(session, user, *_DRAFT)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.may_set_status = is_help_desk(user)
        self.values = {k: str(v) for k, v in (draft or {}).items() if k in _FIELDS}
        self.values.setdefault("status", "Pending")
        self.draft_restored = bool(draft)
        self._route(self.values.get("inquiry_type", ""))
        if draft:  # re-render the form with the draft; otherwise never wipe what is being typed
            self.form_key += 1

    @rx.event
    def choose_inquiry_type(self, value: str):
        """Show where the PQ will go (Access Request: the Harmony Help Desk, by itself)."""
        value = value if isinstance(value, str) else ""
        self.values = {**self.values, "inquiry_type": value}
        self._route(value)

    @rx.event
    def keep_draft(self, form: dict):
        """Saved when a field loses focus and a moment after typing stops (debounced in the browser,
        not on every key): a closed tab or a maintenance window loses a couple of seconds at most."""
        if self._saved:
            return
        data = {k: v for k, v in form_fields(form).items() if k in _FIELDS}
        try:
            user = self._require_user()
            with session_scope() as session:
                drafts.save_draft(session, user, *_DRAFT, data)
        except DomainError:
            return  # a draft that can't be kept must not get in the way of typing

    @rx.event
    @threaded
    def save(self, form: dict):
        data = self.values = form_values(form, _FIELDS)  # a refusal keeps everything typed
        key = client_key_of(form, self.client_key)
        self.errors, self.error = {}, ""
        try:
            user = self._require_user()
            with session_scope() as session:
                saved = pq.add_pq(session, user, pq.PQForm(**data), client_key=key)
                drafts.discard_draft(session, user, *_DRAFT)
        except DomainError as exc:
            fields = ", ".join(pq.LABELS.get(k, k) for k in getattr(exc, "errors", {}))
            self.errors, self.error = self._form_refusal(exc, f"The PQ was not saved. Correct: {fields}.")
            self._keep_refused(data)
            return None
        self.values, self.draft_restored, self._saved = {}, False, True
        return rx.redirect(routes.pq_url(saved.id) + "?saved=1")

    def _keep_refused(self, data: dict) -> None:
        try:
            user = self._require_user()
            with session_scope() as session:
                drafts.save_draft(session, user, *_DRAFT, data)
        except DomainError:
            pass
