"""What the page shell shows on every page: the maintenance banner and browser notice."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.models import utc_now
from harmony_portal.services.maintenance import notice_at


def is_chrome(user_agent: str) -> bool:
    """Google Chrome (or Chromium) and not one of the browsers that borrow its name."""
    ua = user_agent or ""
    borrowed = ("Edg/", "OPR/", "SamsungBrowser", "YaBrowser", "Vivaldi")
    return ("Chrome/" in ua or "CriOS/" in ua) and not any(b in ua for b in borrowed)


class ShellState(rx.State):
    """Banner and notices, loaded with each page."""

    banner_text: str = ""
    banner_in_progress: bool = False
    show_browser_notice: bool = False

    @rx.event
    def load(self):
        with session_scope() as session:
            notice = notice_at(session, utc_now())
        self.banner_text = notice.text if notice else ""
        self.banner_in_progress = bool(notice and notice.in_progress)
        self.show_browser_notice = not is_chrome(self.router.headers.user_agent)
