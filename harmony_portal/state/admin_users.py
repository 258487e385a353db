"""Administration, Users: find an account, view it, and help its owner
(unlock, reset two-factor with a one-time enrolment code, disable and enable)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from sqlmodel import Session

from harmony_portal.models import User, utc_now
from harmony_portal.services.accounts import admin_users
from harmony_portal.services.clock import format_local
from harmony_portal.services.signin import account_control
from harmony_portal.services.signin.enrolment_codes import IssuedCode
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["AdminUsersState"]

NO_SUCH_USER = "No such user."


class AdminUsersState(Feedback, AuthState):
    users: list[dict[str, str]] = []  # the search results
    user: dict[str, str] = {}  # the account being viewed (admin_users.user_overview's summary)
    roles: list[dict[str, str]] = []
    events: list[dict[str, str]] = []
    # The enrolment code of the last reset: shown once, here, until hidden or the page is left.
    enrolment_code: str = ""
    enrolment_code_note: str = ""
    _query: str = ""  # the last search, run again after an action so the list shows the change

    @rx.event
    def load(self):
        self.users, self.user, self.roles, self.events = [], {}, [], []
        self.enrolment_code = self.enrolment_code_note = self.message = self.error = ""
        self._query = ""

    def _fill(self, session: Session, actor: User, user_id: int | None) -> None:
        """Show the search results again and, when given, the account ``user_id``."""
        now = utc_now()
        self.users = admin_users.find_users(session, actor, self._query, now)
        if user_id is not None:
            overview = admin_users.user_overview(session, actor, user_id, now)
            self.user, self.roles, self.events = overview.summary, overview.roles, overview.events

    def _run(self, action: Callable[[Session, User], object], user_id: int | None, success: str = "") -> bool:
        """``action`` and the refreshed view in one transaction; a refusal becomes the page's error."""
        self.message = self.error = ""
        if refused := self._attempt(lambda session, actor: (action(session, actor),
                                                            self._fill(session, actor, user_id))):
            self.error = str(refused)
            return False
        self.message = success
        return True

    def _target(self, user_id: object) -> int | None:
        if (target := parse_id(user_id)) is None:
            self.message, self.error = "", NO_SUCH_USER
        return target

    @rx.event
    def find_users(self, form: dict):
        self._query = str(form_fields(form).get("account", ""))[:200]
        self.user, self.roles, self.events = {}, [], []
        if self._run(lambda _session, _actor: None, None) and self._query.strip() and not self.users:
            self.message = "No account matches that search."

    @rx.event
    def view(self, user_id: str):
        if (target := self._target(user_id)) is not None:
            self._run(lambda _session, _actor: None, target)

    @rx.event
    def close_view(self):
        self.user, self.roles, self.events = {}, [], []

    @rx.event
    def unlock(self, user_id: str):
        if (target := self._target(user_id)) is not None:
            self._run(lambda s, u: account_control.unlock_account(s, u, target), target, "Account unlocked.")

    @rx.event
    def reset_two_factor(self, user_id: str):
        if (target := self._target(user_id)) is None:
            return
        issued: list[IssuedCode] = []
        done = self._run(lambda s, u: issued.append(account_control.reset_two_factor(s, u, target)), target,
                         "Two-factor sign-in reset: the user's devices and recovery codes are removed and "
                         "their sessions have ended.")
        if done:  # only once the reset committed: a code shown for a reset that failed would mislead
            self.enrolment_code = issued[0].code
            self.enrolment_code_note = (
                f"Read this code to {self.user.get('name', 'the user')} ({self.user.get('user_id', '')}). "
                f"After their password they enter it, then set up a new authenticator app. It works once, "
                f"until {format_local(issued[0].expires_at)}, and is shown only now.")

    @rx.event
    def hide_code(self):
        self.enrolment_code = self.enrolment_code_note = ""

    @rx.event
    def disable(self, user_id: str):
        if (target := self._target(user_id)) is not None:
            self._run(lambda s, u: account_control.set_account_active(s, u, target, False), target,
                      "Account disabled: its sessions have ended and its open pages are signed out.")

    @rx.event
    def enable(self, user_id: str):
        if (target := self._target(user_id)) is not None:
            self._run(lambda s, u: account_control.set_account_active(s, u, target, True), target,
                      "Account enabled.")
