"""/security-official/users/[user_id]: one user's roles at the viewer's organizations (Remove, Change end date)
and how they came and went (Role history)."""

import reflex as rx

from harmony_portal.components.dialog import confirm_form, dialog, dismiss_button
from harmony_portal.components.forms import messages, text_field
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.layouts import official_page
from harmony_portal.state.user_roles import UserRolesState


def _cells(g) -> list:
    which = g["role"].to(str) + " at " + g["organization"].to(str)
    return [g["organization"], g["role"], g["ends_on"],
            rx.el.div(
                rx.el.button("Change end date", type="button", class_name="btn",
                             aria_label="Change end date of " + which, on_click=UserRolesState.ask_extend(g["id"])),
                rx.el.button("Remove", type="button", class_name="btn", aria_label="Remove " + which,
                             on_click=UserRolesState.ask_remove(g["id"])),
                class_name="actions")]


def _extend_dialog() -> rx.Component:
    return dialog(UserRolesState.extending_id != "", "Change the end date", "extend",
                  rx.el.p("The holder is told. Leave it empty for a role that lasts until removed."),
                  rx.el.form(
                      text_field("Access ends on", "ends_on", type="date", error=UserRolesState.ends_on_error,
                                 hint="The last day of access (Alaska time)."),
                      rx.el.div(rx.el.button("Save end date", type="submit", class_name="btn btn-primary"),
                                dismiss_button("Cancel", UserRolesState.cancel_extend), class_name="actions"),
                      on_submit=UserRolesState.extend))


def _confirm_remove() -> rx.Component:
    return dialog(UserRolesState.confirm_id != "", "Remove this role?", "remove", rx.el.p("The user is told by email."),
                  confirm_form(UserRolesState.remove, "Remove role", UserRolesState.cancel_remove,
                               text_field("Reason (optional)", "reason", multiline=True)))


def user_roles_page() -> rx.Component:
    return official_page(
        "User Roles",
        rx.el.p("View and remove user roles below. Changes take effect at once."),
        messages(UserRolesState.error, UserRolesState.message),
        data_table("Roles", ["Organization", "Role", "Access ends on", hidden_header("Actions")], UserRolesState.grants,
                   _cells),
        rx.el.h2("Role history"),
        data_table("Role history", ["When", "What", "Role", "Organization", "By", "Reason"], UserRolesState.history,
                   lambda e: [e["at"], e["what"], e["role"], e["organization"], e["by"], e["reason"]],
                   empty="No changes to their roles here yet."),
        rx.el.h2("Profile Information"),
        rx.el.dl(rx.foreach(UserRolesState.profile, lambda item: rx.el.div(rx.el.dt(item[0]), rx.el.dd(item[1])))),
        _confirm_remove(),
        _extend_dialog(),
    )
