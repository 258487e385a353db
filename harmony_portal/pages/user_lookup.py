"""/security-official/users: find users of an organization; export them."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.forms import field_label, message, submit_button, text_field
from harmony_portal.components.sidebar import sole_official_notices
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.layouts import official_page
from harmony_portal.state.user_lookup import UserLookupState


def _pager() -> rx.Component:
    return rx.el.nav(
        rx.el.button("Previous page", type="button", class_name="btn", disabled=UserLookupState.page <= 1,
                     on_click=UserLookupState.go_to_page(UserLookupState.page - 1)),
        rx.el.span(" Page ", UserLookupState.page.to(str), " of ", UserLookupState.page_count.to(str), " "),
        rx.el.button("Next page", type="button", class_name="btn",
                     disabled=UserLookupState.page >= UserLookupState.page_count,
                     on_click=UserLookupState.go_to_page(UserLookupState.page + 1)),
        aria_label="Pages", class_name="actions",
    )


def _organization_picker() -> rx.Component:
    return rx.el.div(
        field_label("Organization", "organization", required=True),
        rx.el.select(rx.foreach(UserLookupState.organizations, lambda o: rx.el.option(o["label"], value=o["id"])),
                     id="field-organization", name="organization", value=UserLookupState.organization,
                     on_change=UserLookupState.set_organization, aria_required="true"),
        class_name="field",
    )


def _cells(r) -> list:
    return [r["first_name"], r["last_name"], r["user_id"], r["email"],
            rx.el.a("View", href=routes.user_roles_url(r["id"]), aria_label="View " + r["user_id"].to(str))]


def user_lookup_page() -> rx.Component:
    return official_page(
        "User Lookup",
        sole_official_notices(UserLookupState.sole_official_of),
        rx.el.p("Search by User ID or Email to find a specific user. All fields marked with an asterisk (*) "
                "are required."),
        rx.el.form(
            _organization_picker(),
            text_field("User ID or Email", "user_id_or_email", default_value=UserLookupState.query,
                       hint="User ID or Email requires an exact character match."),
            rx.el.div(submit_button("Search"),
                      rx.el.button("Export CSV", type="button", class_name="btn",
                                   on_click=UserLookupState.export_csv),
                      class_name="actions"),
            on_submit=UserLookupState.search,
        ),
        message(UserLookupState.error),
        message(UserLookupState.message, "info"),
        data_table("Users found", ["First Name", "Last Name", "User ID", "Email",
                                                 hidden_header("Actions")],
                   UserLookupState.rows, _cells),
        _pager(),
    )
