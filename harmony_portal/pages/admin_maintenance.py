"""/admin sections "Maintenance Windows" and "Announcements" (times in Alaska time)."""

import reflex as rx

from harmony_portal.components import checkbox_field, messages, select_field, submit_button, text_field
from harmony_portal.components.table import data_table
from harmony_portal.services.maintenance.announcements import EVERYONE
from harmony_portal.services.maintenance.windows import WEEKDAYS
from harmony_portal.state.admin_maintenance import AdminMaintenanceState as S
from harmony_portal.vocabulary import PROVIDER_TYPES


def _weekly_form() -> rx.Component:
    errors = S.weekly_errors
    return rx.el.form(
        rx.el.h3("Weekly window"),
        rx.el.p("Now: ", S.weekly["summary"], " (Alaska time)."),
        rx.el.div(
            select_field("Day", "mw_weekday", list(WEEKDAYS), default_value=S.weekly["weekday"],
                         error=errors.get("weekday", "")),
            text_field("Weekly start", "mw_weekly_start", type="time", default_value=S.weekly["start"],
                       error=errors.get("start", "")),
            text_field("Weekly end", "mw_weekly_end", type="time", default_value=S.weekly["end"],
                       error=errors.get("end", "")),
            text_field("Weekly reason", "mw_weekly_reason", default_value=S.weekly["reason"],
                       error=errors.get("reason", "")),
            class_name="grid-2"),
        checkbox_field("Weekly window on", "mw_weekly_active", default_checked=S.weekly["active"] == "on"),
        rx.el.div(submit_button("Save weekly window"),
                  rx.el.button("Skip the next weekly window", type="button", class_name="btn",
                               on_click=S.skip_next_weekly),
                  class_name="actions"),
        key=S.weekly["summary"], on_submit=S.save_weekly)


def _add_window_form() -> rx.Component:
    errors = S.window_errors
    return rx.el.form(
        rx.el.h3("Add a one-off window"),
        rx.el.div(
            text_field("Starts (Alaska time)", "mw_starts", type="datetime-local", required=True,
                       error=errors.get("starts", "")),
            text_field("Ends (Alaska time)", "mw_ends", type="datetime-local", required=True,
                       error=errors.get("ends", "")),
            class_name="grid-2"),
        text_field("Reason users will see", "mw_reason", error=errors.get("reason", "")),
        rx.el.div(submit_button("Add window"), class_name="actions"),
        key=S.window_form_key, on_submit=S.add_window)


def maintenance_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Maintenance Windows"),
        messages(S.window_error, S.window_message),
        _weekly_form(),
        _add_window_form(),
        data_table("Upcoming maintenance", ["When", "Kind", "Reason", "Action"], S.windows, lambda w: [
            w["when"], w["kind"], w["reason"],
            rx.cond(w["id"] != "", rx.el.button("Cancel", type="button", class_name="btn",
                                                aria_label="Cancel window " + w["when"].to(str),
                                                on_click=S.cancel_window(w["id"])), "")]),
        class_name="card")


def announcements_section() -> rx.Component:
    errors = S.notice_errors
    return rx.el.section(
        rx.el.h2("Announcements"),
        messages(S.notice_error, S.notice_message),
        rx.el.form(
            text_field("Title", "ann_title", required=True, error=errors.get("title", "")),
            text_field("Message", "ann_body", multiline=True, error=errors.get("body", "")),
            rx.el.div(
                select_field("Level", "ann_level", ["Info", "Warning"], required=True, default_value="Info",
                             error=errors.get("level", "")),
                select_field("Audience", "ann_audience", [EVERYONE, *PROVIDER_TYPES], required=True,
                             default_value=EVERYONE, error=errors.get("audience", "")),
                text_field("Show from (Alaska time)", "ann_starts", type="datetime-local",
                           hint="Leave empty to show it now.", error=errors.get("starts", "")),
                text_field("Show until (Alaska time)", "ann_ends", type="datetime-local",
                           hint="Leave empty to show it until you end it.", error=errors.get("ends", "")),
                class_name="grid-2"),
            rx.el.div(submit_button("Post announcement"), class_name="actions"),
            key=S.notice_form_key, on_submit=S.post_notice),
        data_table("Current and scheduled announcements", ["Title", "Audience", "Level", "When", "Action"],
                   S.notices, lambda n: [
                       n["title"], n["audience"], n["level"], n["when"],
                       rx.el.button("End now", type="button", class_name="btn",
                                    aria_label="End announcement " + n["title"].to(str),
                                    on_click=S.end_notice(n["id"]))]),
        class_name="card")
