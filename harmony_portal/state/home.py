"""Home: my roles, my role requests (announcements are in the page shell, on every page)."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services import role_queries, roles
from harmony_portal.services.errors import DomainError
from harmony_portal.state.base import AuthState, parse_id
from harmony_portal.state.off_loop import threaded

__all__ = ["HomeState"]


class HomeState(AuthState):
    my_roles: list[dict[str, str]] = []
    my_requests: list[dict] = []
    message: str = ""
    error: str = ""

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            self.my_roles = role_queries.my_roles(session, user)
            self.my_requests = role_queries.my_requests(session, user)

    @rx.event
    def load(self):
        self.message = self.error = ""
        try:
            self._reload()
        except DomainError as exc:
            self.error = str(exc)

    @rx.event
    @threaded
    def cancel_request(self, request_id: str):
        self.message = self.error = ""
        if (target := parse_id(request_id)) is None:
            self.error = "That request does not exist."
            return
        try:
            user = self._require_user()
            with session_scope() as session:
                roles.cancel_request(session, user, target)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.message = "Your request was cancelled."
        self._reload()
