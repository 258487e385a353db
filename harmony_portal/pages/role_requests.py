"""/security-official/requests: the live queue, with checkboxes, Approve and Reject."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.dialog import confirm_form, dialog
from harmony_portal.components.forms import messages, text_field
from harmony_portal.components.sidebar import sole_official_notices
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.layouts import official_page
from harmony_portal.live.queues import QueueFeed
from harmony_portal.state.role_requests import RoleRequestsState


def _request_row(row) -> rx.Component:
    name = row["first_name"].to(str) + " " + row["last_name"].to(str)
    return rx.el.tr(
        # Uncontrolled, so a click shows at once; remounted (new key) when the server
        # changes the selection as a whole (select all, cleared after a decision).
        rx.el.td(rx.el.input(type="checkbox", aria_label="Select " + name,
                             default_checked=RoleRequestsState.selected.contains(row["id"]),
                             key=row["id"].to(str) + "-" + RoleRequestsState.selection_epoch.to(str),
                             on_change=lambda checked: RoleRequestsState.toggle(row["id"], checked))),
        rx.el.td(row["first_name"]), rx.el.td(row["last_name"]),
        rx.el.td(row["organization"]), rx.el.td(row["role"]), rx.el.td(row["requested"]),
        rx.el.td(rx.el.a("View", href=routes.user_roles_url(row["user_id"]), aria_label="View " + name),
                 rx.el.details(rx.el.summary("Justification"), rx.el.p(row["justification"])),
                 _checklist(row)),
        key=row["id"],
    )


def _checklist(row) -> rx.Component:
    """"Checklist: 2 of 3", opening to each step (shown once a checklist is started; approval waits for it)."""
    return rx.cond(row["checklist"] != "", rx.el.details(
        rx.el.summary(row["checklist"]),
        rx.el.ul(rx.foreach(row["checklist_steps"].to(str).split("\n"), lambda line: rx.el.li(line))),
    ))


def _select_all() -> rx.Component:
    return rx.el.input(type="checkbox", aria_label="Select all", default_checked=RoleRequestsState.all_selected,
                       key=RoleRequestsState.selection_epoch, disabled=QueueFeed.rows.length() == 0,
                       on_change=RoleRequestsState.toggle_all)


def _reject_dialog() -> rx.Component:
    return dialog(RoleRequestsState.reject_open, "Reject requests", "reject", confirm_form(
        RoleRequestsState.reject, "Reject", RoleRequestsState.close_reject,
        text_field("Rejection Reason", "rejection_reason", required=True, multiline=True,
                   error=RoleRequestsState.reject_error, auto_focus=True)))


def role_requests_page() -> rx.Component:
    return official_page(
        "Role Requests",
        rx.el.p("Select one or more users via the associated checkbox to Approve or Reject the user's role "
                "request. Changes show on every Security Official's screen at once."),
        sole_official_notices(RoleRequestsState.sole_official_of),
        messages(RoleRequestsState.error, RoleRequestsState.message),
        rx.el.p(QueueFeed.rows.length().to(str)
                + rx.cond(QueueFeed.rows.length() == 1, " pending request", " pending requests"),
                role="status", aria_live="polite"),
        data_table("Pending role requests",
                   [_select_all(), "First Name", "Last Name", "Organization", "Role", "Requested",
                    hidden_header("Actions")],
                   QueueFeed.rows, cells=None, row=_request_row),
        rx.cond(QueueFeed.rows.length() == 0, rx.el.p("There are no pending requests.")),
        # Hidden while the dialog is open, so "Reject" names one button at a time.
        rx.cond(~RoleRequestsState.reject_open, rx.el.form(
            text_field("Access ends on", "ends_on", type="date", default_value=RoleRequestsState.ends_on,
                       error=RoleRequestsState.ends_on_error,
                       hint="Optional: the last day of access for the approved roles. Left empty, a role lasts as "
                            "long as an administrator set for it, or until removed."),
            rx.el.div(
                rx.el.button("Approve", type="submit", class_name="btn btn-primary"),
                rx.el.button("Reject", type="button", class_name="btn btn-danger",
                             on_click=RoleRequestsState.open_reject),
                class_name="actions",
            ),
            on_submit=RoleRequestsState.approve,
        )),
        _reject_dialog(),
    )
