"""Request a role (and resubmit a denied request with its fields filled in)."""

from __future__ import annotations

import secrets

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import threaded
from harmony_portal.services.errors import DomainError
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.roles.organizations import organization_choices
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import client_key_of, form_fields, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["RoleRequestState"]


class RoleRequestState(Feedback, AuthState):
    organizations: list[dict[str, str]] = []
    organization: str = ""
    role: str = ""
    justification: str = ""
    errors: dict[str, str] = {}
    form_key: int = 0  # bumps to re-render the uncontrolled form with new defaults
    # Made when the form opens: the same form's save sent again after a lost answer is one
    # request (services/once.py); the browser keeps what is typed under it (assets/keep_typing.js).
    client_key: str = ""

    @rx.event
    def load(self):
        self.errors, self.error = {}, ""
        try:
            user = self._require_user()
        except DomainError as exc:
            self.error = str(exc)
            return
        self.organization = self.role = self.justification = ""
        self.client_key = secrets.token_urlsafe(24)
        resubmit = parse_id(self.router.url.query_parameters.get("resubmit", ""))
        try:
            with session_scope() as session:
                self.organizations = organization_choices(session)
                if resubmit is not None:  # only the requester's own request pre-fills the form
                    earlier = roles.resubmission_of(session, user, resubmit)
                    self.organization, self.role, self.justification = (
                        earlier.organization, earlier.role, earlier.justification)
        except DomainError as exc:
            self.error = str(exc)
        self.form_key += 1

    @rx.event
    @threaded
    def submit(self, form: dict):
        key = client_key_of(form, self.client_key)
        form = form_fields(form)
        self.errors, self.error = {}, ""
        self.organization = str(form.get("organization", ""))
        self.role = str(form.get("role", ""))
        self.justification = str(form.get("justification", ""))
        try:
            user = self._require_user()
            with session_scope() as session:
                roles.request_role(session, user, self.organization, self.role, self.justification,
                                   client_key=key)
        except DomainError as exc:
            self.errors, self.error = self._form_refusal(exc, "Please correct the fields marked below.")
            return None
        return rx.redirect(routes.HOME)
