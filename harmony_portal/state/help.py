"""The Help page (public): whether the help box is open now, and maintenance ahead."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.models import utc_now
from harmony_portal.services.maintenance import help_info

__all__ = ["HelpState"]


class HelpState(rx.State):
    """Worked out at each page load from the real clock (the page itself is static)."""

    help_box_open: bool = False
    help_box_status: str = ""
    maintenance_windows: list[dict[str, str]] = []
    weekly_maintenance: str = ""

    @rx.event
    def load(self):
        now = utc_now()
        status = help_info.help_box_status(now)
        with session_scope() as session:
            windows = help_info.upcoming_maintenance(session, now)
            self.weekly_maintenance = help_info.weekly_maintenance(session)
        self.help_box_open, self.help_box_status = status.is_open, status.text
        self.maintenance_windows = windows
