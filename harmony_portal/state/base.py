"""The base of every signed-in state: who is asking, checked on the server each time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import reflex as rx
from sqlmodel import Session, select

from harmony_portal import routes
from harmony_portal.db import get_engine, session_scope
from harmony_portal.models import OrgRole, User
from harmony_portal.services import roles
from harmony_portal.services.authentication import confirmed_devices
from harmony_portal.services.errors import DomainError, NotAllowed
from harmony_portal.services.notify import deliver_outbox
from harmony_portal.services.sessions import (
    IDLE_WARNING,
    ActiveSession,
    end_session,
    resolve_session,
)
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import SECURITY_OFFICIAL


class AuthState(rx.State):
    """Holds the browser's session token; every handler re-resolves it."""

    # Random token; the database keeps only its hash. SameSite=strict: not sent cross-site.
    session_token: str = rx.Cookie("", name="harmony_session", same_site="strict")
    signed_in: bool = False
    display_name: str = ""
    is_admin: bool = False
    is_security_official: bool = False
    idle_warning: bool = False
    pending_count: int = 0  # requests waiting for this Security Official (navigation badge)

    def _active(self, *, touch: bool = True) -> ActiveSession | None:
        with session_scope() as session:
            return resolve_session(session, self.session_token, touch=touch)

    def _require_user(self, *, enrolling: bool = False) -> User:
        """The signed-in user, or NotAllowed. Handlers call this before anything else.

        A session opened with a password alone (no authenticator yet) may only enrol
        one (``enrolling``): a forged event can't use it for anything else.
        """
        active = self._active()
        if active is None:
            self._clear_identity()
            raise NotAllowed("Your session has ended. Sign in again.")
        if not enrolling:
            with session_scope() as session:
                if not confirmed_devices(session, active.user.id):
                    raise NotAllowed("Set up two-factor sign-in first.")
        return active.user

    def _attempt(self, action: Callable[[Session, User], object]) -> DomainError | None:
        """Run ``action(session, user)`` in one transaction for the signed-in user.

        Returns the refusal (for the page to show) or None when it was done.
        """
        try:
            user = self._require_user()
            with session_scope() as session:
                action(session, user)
        except DomainError as exc:
            return exc
        return None

    def _set_identity(self, active: ActiveSession) -> None:
        user = active.user
        self.signed_in = True
        self.display_name = f"{user.first_name} {user.last_name}".strip()
        self.is_admin = user.is_admin
        with session_scope() as session:
            self.is_security_official = session.exec(select(OrgRole.id).where(
                OrgRole.user_id == user.id, OrgRole.role == SECURITY_OFFICIAL).limit(1)).first() is not None
            self.pending_count = (roles.pending_count(session, user)
                                  if self.is_security_official or user.is_admin else 0)
        self.idle_warning = False

    def _clear_identity(self) -> None:
        self.signed_in = False
        self.display_name = ""
        self.is_admin = False
        self.is_security_official = False
        self.pending_count = 0
        self.idle_warning = False

    async def _send_emails(self) -> None:
        """Deliver what the committed change queued (a no-op without SMTP_URL)."""
        await asyncio.to_thread(deliver_outbox, get_engine(), get_settings().smtp_url)

    def _current_path(self) -> str:
        url = self.router.url
        path = url.path.rstrip("/") or "/"  # the static build serves /profile as /profile/
        return path + (f"?{url.query}" if url.query else "")

    @rx.event
    def require_login(self):
        """on_load of every protected page: signed in, with a second factor set up."""
        active = self._active()
        if active is None:
            self._clear_identity()
            return rx.redirect(routes.login_url(self._current_path()))
        self._set_identity(active)
        if not self._current_path().startswith(routes.TWO_FACTOR_SETUP):
            with session_scope() as session:
                if not confirmed_devices(session, active.user.id):
                    return rx.redirect(routes.TWO_FACTOR_SETUP)
        return None

    @rx.event
    def check_idle(self, _tick: str = ""):
        """Periodic check from an open page; does not count as activity."""
        if not self.signed_in:
            return None
        active = self._active(touch=False)
        if active is None:
            self._clear_identity()
            return rx.redirect(routes.login_url(self._current_path(), reason="idle"))
        self.idle_warning = active.idle_seconds_left <= IDLE_WARNING.total_seconds()
        return None

    @rx.event
    def stay_signed_in(self):
        """The idle warning's button: counts as activity."""
        if self._active() is None:
            self._clear_identity()
            return rx.redirect(routes.login_url(self._current_path(), reason="idle"))
        self.idle_warning = False
        return None

    @rx.event
    def logout(self):
        with session_scope() as session:
            end_session(session, self.session_token)
        self.session_token = ""
        self._clear_identity()
        return rx.redirect(routes.login_url(reason="signed-out"))

    @rx.var
    def idle_check_ms(self) -> int:
        return get_settings().harmony_idle_check_seconds * 1000
