"""/security-official/users/[user_id]: one user's roles at the viewer's organizations; Remove."""

import reflex as rx

from harmony_portal.components.dialog import confirm_form, dialog
from harmony_portal.components.forms import messages, text_field
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.layouts import official_page
from harmony_portal.state.user_roles import UserRolesState


def _cells(g) -> list:
    return [g["organization"], g["role"],
            rx.el.button("Remove", type="button", class_name="btn",
                         aria_label="Remove " + g["role"].to(str) + " at " + g["organization"].to(str),
                         on_click=UserRolesState.ask_remove(g["id"]))]


def _confirm_remove() -> rx.Component:
    return dialog(UserRolesState.confirm_id != "", "Remove this role?", "remove", rx.el.p("The user is told by email."),
                  confirm_form(UserRolesState.remove, "Remove role", UserRolesState.cancel_remove,
                               text_field("Reason (optional)", "reason", multiline=True)))


def user_roles_page() -> rx.Component:
    return official_page(
        "User Roles",
        rx.el.p("View and remove user roles below. Changes take effect at once."),
        messages(UserRolesState.error, UserRolesState.message),
        data_table("Roles", ["Organization", "Role", hidden_header("Actions")], UserRolesState.grants, _cells),
        rx.el.h2("Profile Information"),
        rx.el.dl(rx.foreach(UserRolesState.profile, lambda item: rx.el.div(rx.el.dt(item[0]), rx.el.dd(item[1])))),
        _confirm_remove(),
    )
