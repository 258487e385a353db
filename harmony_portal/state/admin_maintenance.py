"""Administration: maintenance windows (the weekly one and one-off ones) and announcements."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.models import utc_now
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.maintenance import announcements, schedule
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, parse_id


def _window_row(w: maintenance.Window) -> dict[str, str]:
    return {"id": str(w.id or ""), "when": f"{format_local(w.starts_at)} to {format_local(w.ends_at)}",
            "kind": "Weekly" if w.kind == "weekly" else "One-off", "reason": w.reason}


def _announcement_row(a) -> dict[str, str]:
    return {**announcements.as_row(a), "when": format_local(a.starts_at) + (
        f" to {format_local(a.ends_at)}" if a.ends_at else " until ended")}


class AdminMaintenanceState(AuthState):
    windows: list[dict[str, str]] = []
    weekly: dict[str, str] = {}
    notices: list[dict[str, str]] = []
    window_errors: dict[str, str] = {}
    weekly_errors: dict[str, str] = {}
    notice_errors: dict[str, str] = {}
    window_message: str = ""
    window_error: str = ""
    notice_message: str = ""
    notice_error: str = ""
    window_form_key: int = 0
    notice_form_key: int = 0

    def _reload(self) -> None:
        user = self._require_user()
        now = utc_now()
        with session_scope() as session:
            require_admin(session, user)
            rule = maintenance.weekly_rule(session)
            self.weekly = {"weekday": maintenance.WEEKDAYS[rule.weekday], "start": _hhmm(rule.start_minute),
                           "end": _hhmm(rule.end_minute), "active": "on" if rule.active else "",
                           "reason": rule.reason, "summary": schedule.weekly_text(rule)}
            self.windows = [_window_row(w) for w in maintenance.upcoming_windows(session, now)]
            self.notices = [_announcement_row(a) for a in announcements.scheduled(session, now)]

    @rx.event
    def load(self):
        self.window_errors, self.weekly_errors, self.notice_errors = {}, {}, {}
        self.window_message = self.window_error = self.notice_message = self.notice_error = ""
        if refused := self._refused(self._reload):
            self.window_error = str(refused)

    def _windows_act(self, action, done: str, errors_into: str = "window_errors") -> bool:
        self.window_errors, self.weekly_errors, self.window_message, self.window_error = {}, {}, "", ""
        if refused := self._attempt(action):
            setattr(self, errors_into, refused.errors if isinstance(refused, Invalid) else {})
            self.window_error = str(refused)
            return False
        self.window_message = done
        self._reload()
        return True

    @rx.event
    def add_window(self, form: dict):
        form = form_fields(form)

        def act(session, user):
            now = utc_now()
            problems = {}
            for field in ("starts", "ends"):
                try:
                    form[field + "_utc"] = schedule.parse_local(form.get("mw_" + field, ""), field)
                except Invalid as exc:
                    problems.update(exc.errors)
            if problems:
                raise Invalid(problems)
            schedule.add_window(session, user, form["starts_utc"], form["ends_utc"], form.get("mw_reason", ""),
                                   now=now)

        if self._windows_act(act, "Maintenance window added: every open page shows it now."):
            self.window_form_key += 1

    @rx.event
    def cancel_window(self, window_id: str):
        if (target := parse_id(window_id)) is None:
            self.window_error = "No such maintenance window."
            return
        self._windows_act(lambda s, u: schedule.cancel_window(s, u, target, now=utc_now()),
                          "Maintenance window cancelled.")

    @rx.event
    def save_weekly(self, form: dict):
        form = form_fields(form)
        day = form.get("mw_weekday", "")
        self._windows_act(lambda s, u: schedule.set_weekly(
            s, u, weekday=maintenance.WEEKDAYS.index(day) if day in maintenance.WEEKDAYS else -1,
            start_minute=schedule.parse_minutes(form.get("mw_weekly_start", "")),
            end_minute=schedule.parse_minutes(form.get("mw_weekly_end", "")),
            active=bool(form.get("mw_weekly_active")), reason=form.get("mw_weekly_reason", ""), now=utc_now()),
            "Weekly window saved.", errors_into="weekly_errors")

    @rx.event
    def skip_next_weekly(self):
        self._windows_act(lambda s, u: schedule.skip_next_weekly(s, u, now=utc_now()),
                          "The next weekly window is skipped.", errors_into="weekly_errors")

    # ---- announcements -------------------------------------------------------------------

    @rx.event
    def post_notice(self, form: dict):
        form = form_fields(form)
        self.notice_errors, self.notice_message, self.notice_error = {}, "", ""

        def act(session, user):
            now = utc_now()
            problems, times = {}, {}
            for field in ("starts", "ends"):
                text = form.get("ann_" + field, "").strip()
                try:
                    times[field] = schedule.parse_local(text, field) if text else None
                except Invalid as exc:
                    problems.update(exc.errors)
            if problems:
                raise Invalid(problems)
            announcements.post(session, user, title=form.get("ann_title", ""), body=form.get("ann_body", ""),
                               level=form.get("ann_level", "").lower(), audience=form.get("ann_audience", ""),
                               starts_at=times["starts"] or now, ends_at=times["ends"], now=now)

        if refused := self._attempt(act):
            self.notice_errors = refused.errors if isinstance(refused, Invalid) else {}
            self.notice_error = str(refused)
            return
        self.notice_message = "Announcement posted."
        self.notice_form_key += 1
        self._reload()

    @rx.event
    def end_notice(self, announcement_id: str):
        self.notice_message, self.notice_error = "", ""
        if refused := self._attempt_on(announcement_id, "No such announcement.",
                                       lambda s, u, target: announcements.end(s, u, target, now=utc_now())):
            self.notice_error = str(refused)
            return
        self.notice_message = "Announcement ended."
        self._reload()


def _hhmm(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"
