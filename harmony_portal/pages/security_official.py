"""/security-official and its pages: Role Requests, User Lookup, User Roles."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import message, submit_button, text_field
from harmony_portal.components.dialog import confirm_form, dialog
from harmony_portal.components.forms import field_label
from harmony_portal.components.sidebar import security_official_layout
from harmony_portal.layouts import protected_page
from harmony_portal.live import QueueFeed
from harmony_portal.state.security_official import RoleRequestsState as R
from harmony_portal.state.security_official import UserLookupState as L
from harmony_portal.state.security_official import UserRolesState as U


def security_official_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Security Official"),
        security_official_layout(
            rx.el.p("Approve or reject role requests for the organizations you represent, look users up, "
                    "and remove roles that are no longer needed."),
            rx.el.p(rx.el.a("Review Role Requests", href=routes.ROLE_REQUESTS)),
            rx.el.p(rx.el.a("Look up users", href=routes.USER_LOOKUP)),
        ),
    )


def _request_row(row) -> rx.Component:
    name = row["first_name"].to(str) + " " + row["last_name"].to(str)
    return rx.el.tr(
        # Uncontrolled, so a click shows at once; remounted (new key) when the server
        # changes the selection as a whole (select all, cleared after a decision).
        rx.el.td(rx.el.input(type="checkbox", aria_label="Select " + name,
                             default_checked=R.selected.contains(row["id"]),
                             key=row["id"].to(str) + "-" + R.selection_epoch.to(str),
                             on_change=lambda checked: R.toggle(row["id"], checked))),
        rx.el.td(row["first_name"]), rx.el.td(row["last_name"]),
        rx.el.td(row["organization"]), rx.el.td(row["role"]), rx.el.td(row["requested"]),
        rx.el.td(rx.el.a("View", href="/security-official/users/" + row["user_id"].to(str),
                         aria_label="View " + name),
                 rx.el.details(rx.el.summary("Justification"), rx.el.p(row["justification"]))),
        key=row["id"],
    )


def _reject_dialog() -> rx.Component:
    return dialog(R.reject_open, "Reject requests", "reject", confirm_form(
        R.reject, "Reject", R.close_reject,
        text_field("Rejection Reason", "rejection_reason", required=True, multiline=True, error=R.reject_error,
                   auto_focus=True)))


def role_requests_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Role Requests"),
        security_official_layout(
            rx.el.p("Select one or more users via the associated checkbox to Approve or Reject the user's role "
                    "request. Changes show on every Security Official's screen at once."),
            _sole_official_notices(R.sole_official_of),
            message(R.error),
            message(R.message, "ok"),
            rx.el.p(QueueFeed.rows.length().to(str) + " pending request(s)", role="status", aria_live="polite"),
            rx.el.table(
                rx.el.thead(rx.el.tr(
                    rx.el.th(rx.el.input(type="checkbox", aria_label="Select all",
                                         default_checked=R.all_selected, key=R.selection_epoch,
                                         disabled=QueueFeed.rows.length() == 0,
                                         on_change=R.toggle_all), scope="col"),
                    *[rx.el.th(h, scope="col") for h in
                      ("First Name", "Last Name", "Organization", "Role", "Requested")],
                    rx.el.th(rx.el.span("Actions", class_name="visually-hidden"), scope="col"),
                )),
                rx.el.tbody(rx.foreach(QueueFeed.rows, _request_row)),
            ),
            rx.cond(QueueFeed.rows.length() == 0, rx.el.p("There are no pending requests.")),
            # Hidden while the dialog is open, so "Reject" names one button at a time.
            rx.cond(~R.reject_open, rx.el.div(
                rx.el.button("Approve", type="button", class_name="btn btn-primary", on_click=R.approve),
                rx.el.button("Reject", type="button", class_name="btn btn-danger", on_click=R.open_reject),
                class_name="actions",
            )),
            _reject_dialog(),
        ),
    )


def _pager() -> rx.Component:
    return rx.el.nav(
        rx.el.button("Previous page", type="button", class_name="btn", disabled=L.page <= 1,
                     on_click=L.go_to_page(L.page - 1)),
        rx.el.span(" Page ", L.page.to(str), " of ", L.page_count.to(str), " "),
        rx.el.button("Next page", type="button", class_name="btn", disabled=L.page >= L.page_count,
                     on_click=L.go_to_page(L.page + 1)),
        aria_label="Pages", class_name="actions",
    )


def _sole_official_notices(names) -> rx.Component:
    return rx.foreach(names, lambda name: rx.el.div(
        "You are the only Security Official of ", name, ". Consider asking another person in the "
        "organization to request the Security Official role, so someone is always available to "
        "approve requests.", role="status", class_name="message message-info"))


def user_lookup_page() -> rx.Component:
    return protected_page(
        rx.el.h1("User Lookup"),
        security_official_layout(
            _sole_official_notices(L.sole_official_of),
            rx.el.p("Search by User ID or Email to find a specific user. All fields marked with an asterisk (*) "
                    "are required."),
            rx.el.form(
                rx.el.div(
                    field_label("Organization", "organization", required=True),
                    rx.el.select(rx.foreach(L.organizations, lambda o: rx.el.option(o, value=o)),
                                 id="field-organization", name="organization", value=L.organization,
                                 on_change=L.set_organization, aria_required="true"),
                    class_name="field",
                ),
                text_field("User ID or Email", "user_id_or_email", default_value=L.query,
                           hint="User ID or Email requires an exact character match."),
                rx.el.div(submit_button("Search"),
                          rx.el.button("Export CSV", type="button", class_name="btn", on_click=L.export_csv),
                          class_name="actions"),
                on_submit=L.search,
            ),
            message(L.error),
            message(L.notice, "info"),
            rx.el.table(
                rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in
                                       ("First Name", "Last Name", "User ID", "Email")],
                                     rx.el.th(rx.el.span("Actions", class_name="visually-hidden"), scope="col"))),
                rx.el.tbody(rx.foreach(L.rows, lambda r: rx.el.tr(
                    rx.el.td(r["first_name"]), rx.el.td(r["last_name"]), rx.el.td(r["user_id"]),
                    rx.el.td(r["email"]),
                    rx.el.td(rx.el.a("View", href="/security-official/users/" + r["id"].to(str),
                                     aria_label="View " + r["user_id"].to(str)))))),
            ),
            _pager(),
        ),
    )


def _grant_row(g) -> rx.Component:
    return rx.el.tr(
        rx.el.td(g["organization"]), rx.el.td(g["role"]),
        rx.el.td(rx.el.button("Remove", type="button", class_name="btn",
                              aria_label="Remove " + g["role"].to(str) + " at " + g["organization"].to(str),
                              on_click=U.ask_remove(g["id"]))),
    )


def _confirm_remove() -> rx.Component:
    return dialog(U.confirm_id != "", "Remove this role?", "remove", rx.el.p("The user is told by email."),
                  confirm_form(U.remove, "Remove role", U.cancel_remove,
                               text_field("Reason (optional)", "reason", multiline=True)))


def user_roles_page() -> rx.Component:
    return protected_page(
        rx.el.h1("User Roles"),
        security_official_layout(
            rx.el.p("View and remove user roles below. Changes take effect at once."),
            message(U.error),
            message(U.message, "ok"),
            rx.el.table(
                rx.el.thead(rx.el.tr(rx.el.th("Organization", scope="col"), rx.el.th("Role", scope="col"),
                                     rx.el.th(rx.el.span("Actions", class_name="visually-hidden"), scope="col"))),
                rx.el.tbody(rx.foreach(U.grants, _grant_row)),
            ),
            rx.el.h2("Profile Information"),
            rx.el.dl(rx.foreach(U.profile, lambda item: rx.el.div(rx.el.dt(item[0]), rx.el.dd(item[1])))),
            _confirm_remove(),
        ),
    )
