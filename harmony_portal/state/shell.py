"""What the page shell shows on every page: the maintenance banner, announcements, browser notice.

The banner comes from this worker's clock (``live/banner``), which also pushes every change
into this state; a page load reads no database for it.
"""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.live import banner as live_banner
from harmony_portal.models import utc_now
from harmony_portal.services.errors import DomainError, NotAllowed
from harmony_portal.services.maintenance import announcements
from harmony_portal.services.signin.sessions import resolve_session
from harmony_portal.state.base import AuthState, resolve_in_event
from harmony_portal.state.event_args import parse_id


def is_chrome(user_agent: str) -> bool:
    """Google Chrome (or Chromium) and not one of the browsers that borrow its name."""
    ua = user_agent or ""
    borrowed = ("Edg/", "OPR/", "SamsungBrowser", "YaBrowser", "Vivaldi")
    return ("Chrome/" in ua or "CriOS/" in ua) and not any(b in ua for b in borrowed)


@live_banner.shows_banner
class ShellState(AuthState):
    """Banner and notices; loaded with each page, pushed to by the banner clock."""

    banner_phase: str = ""  # "" | upcoming | countdown | in_progress
    banner_text: str = ""
    banner_starts: str = ""  # ISO time the countdown counts to
    save_warning: bool = False
    notices: list[dict[str, str]] = []  # every announcement in force; the audience filter is below
    my_provider_types: list[str] = []
    closed_notices: list[str] = []
    show_browser_notice: bool = False

    def _show(self, showing: live_banner.Showing) -> None:
        for name, value in live_banner.as_vars(showing).items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    @rx.var
    def my_notices(self) -> list[dict[str, str]]:
        """Announcements for this user: everyone's and their provider types', less the closed ones."""
        return [n for n in self.notices if n["id"] not in self.closed_notices
                and (n["audience"] == announcements.EVERYONE or n["audience"] in self.my_provider_types)]

    @rx.event
    async def load(self):
        self._show(live_banner.current())
        self.show_browser_notice = not is_chrome(self.router.headers.user_agent)
        if not self.notices:
            return
        token = self._session_token()
        types, closed = await off_loop(self._audience, token)
        self.my_provider_types, self.closed_notices = types, [str(i) for i in closed]

    @staticmethod
    def _audience(token: str) -> tuple[list[str], list[int]]:
        with session_scope() as session:
            active = resolve_in_event(session, token, touch=False)
            return announcements.audience_of(session, active.user if active else None)

    @rx.event
    async def close_notice(self, announcement_id: str):
        """Close an announcement on every device of this user."""
        if (target := parse_id(announcement_id)) is None:
            return
        try:
            await off_loop(self._dismiss, self._session_token(), target)
        except DomainError:
            pass  # signed out, or the announcement is gone: it closes on this page all the same
        if str(target) not in self.closed_notices:
            self.closed_notices = [*self.closed_notices, str(target)]

    @staticmethod
    def _dismiss(token: str, announcement_id: int) -> None:
        with session_scope() as session:
            active = resolve_session(session, token)
            if active is None or not active.second_factor:
                raise NotAllowed("Sign in to close announcements on every device.")
            announcements.dismiss(session, active.user, announcement_id, now=utc_now())
