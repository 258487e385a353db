"""Home: my roles, my role requests, notices."""

from __future__ import annotations

import reflex as rx
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live import queue_changed
from harmony_portal.models import Announcement, utc_now
from harmony_portal.services import role_queries, roles
from harmony_portal.services.errors import DomainError
from harmony_portal.state.base import AuthState, parse_id


class HomeState(AuthState):
    my_roles: list[dict[str, str]] = []
    my_requests: list[dict] = []
    notices: list[str] = []
    message: str = ""
    error: str = ""

    def _reload(self) -> None:
        user = self._require_user()
        now = utc_now()
        with session_scope() as session:
            self.my_roles = role_queries.my_roles(session, user)
            self.my_requests = role_queries.my_requests(session, user)
            announcements = session.exec(select(Announcement).where(
                Announcement.starts_at <= now).order_by(Announcement.starts_at.desc()).limit(5)).all()
            self.notices = [f"{a.title}: {a.body}".strip(": ") for a in announcements
                            if a.ends_at is None or a.ends_at > now]

    @rx.event
    def load(self):
        self.message = self.error = ""
        try:
            self._reload()
        except DomainError:
            return None
        return None

    @rx.event
    async def cancel_request(self, request_id: str):
        self.message = self.error = ""
        if (target := parse_id(request_id)) is None:
            self.error = "That request does not exist."
            return
        try:
            user = self._require_user()
            with session_scope() as session:
                request = roles.cancel_request(session, user, target)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.message = "Your request was cancelled."
        self._reload()
        queue_changed({request.organization_id})
