"""The Audit Log section of /admin: filters, newer and older pages, the CSV export.

The page tokens stay on the server (backend vars): a client can only ask for "newer" or
"older", and every request parses the filter again and re-checks the administrator.
"""

from __future__ import annotations

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.server import session_cookie
from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.feedback import Feedback

__all__ = ["AdminAuditState"]

# The form's field names: prefixed, because /admin has other forms (ids must be unique).
_FORM_FIELDS = {f"audit_{name}": name for name in audit_log.FILTER_FIELDS}


class AdminAuditState(Feedback, AuthState):
    rows: list[dict[str, str]] = []
    applied: dict[str, str] = {}  # the filter in force, as typed (the form's default values)
    errors: dict[str, str] = {}
    has_newer: bool = False
    has_older: bool = False
    form_key: int = 0
    _newer: str = ""
    _older: str = ""

    def _show(self, wanted: dict[str, str], **where: str) -> None:
        """Parse ``wanted`` and show its page; the filter is applied only once it parsed."""
        user = self._require_user()
        with session_scope() as session:
            checked = audit_log.parse_filter(session, user, wanted)
            page = audit_log.audit_page(session, user, checked, **where)
        self.applied = checked.query()
        self.rows, self._newer, self._older = page.rows, page.newer, page.older
        self.has_newer, self.has_older = bool(page.newer), bool(page.older)

    def _run(self, wanted: dict[str, str], **where: str) -> None:
        self.errors, self.error = {}, ""
        try:
            self._show(wanted, **where)
        except Invalid as exc:  # the page on screen stays as it was
            self.errors = exc.errors
        except DomainError as exc:
            self.rows, self.has_newer, self.has_older, self._newer, self._older = [], False, False, "", ""
            self.error = str(exc)

    @rx.event
    def load(self):
        """on_load of /admin: the newest events, unfiltered."""
        self._run({})

    @rx.event
    def apply_filters(self, form: dict):
        fields = form_fields(form)
        self._run({name: fields.get(key, "") for key, name in _FORM_FIELDS.items()})

    @rx.event
    def clear_filters(self):
        self.form_key += 1  # a fresh, empty form (its fields are uncontrolled)
        self._run({})

    @rx.event
    def newer(self):
        self._run(self.applied, newer_than=self._newer)  # no token: the newest page

    @rx.event
    def older(self):
        self._run(self.applied, older_than=self._older)

    @rx.event
    def export_csv(self):
        """Download the filtered log from the streamed route (which checks the cookie's user itself)."""
        self.error = ""
        try:
            user = self._require_user()
            with session_scope() as session:
                checked = audit_log.parse_filter(session, user, self.applied)
        except DomainError as exc:
            self.error = str(exc)
            return None
        return rx.call_script(session_cookie.download_script(routes.audit_export_url(checked.query())))
