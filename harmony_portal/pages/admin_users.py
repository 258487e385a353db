"""The Users section of /admin: find an account, view it, unlock, reset two-factor, disable or enable."""

import reflex as rx

from harmony_portal.components import messages, submit_button, text_field
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.state.admin_users import AdminUsersState

__all__ = ["users_section"]

S = AdminUsersState


def _button(text: str, on_click, primary: bool = False) -> rx.Component:
    return rx.el.button(text, type="button", class_name="btn btn-primary" if primary else "btn", on_click=on_click)


def _found() -> rx.Component:
    return data_table(
        "Users found",
        ["User ID", "Name", "Email", "State", hidden_header("View")],
        S.users,
        lambda r: [r["user_id"], r["name"], r["email"], r["state"],
                   rx.el.button("View", type="button", class_name="btn", aria_label="View " + r["user_id"].to(str),
                                on_click=S.view(r["id"]))],
    )


def _enrolment_code() -> rx.Component:
    """The code of the reset just done, shown once: the administrator reads it to the user."""
    return rx.cond(
        S.enrolment_code != "",
        rx.el.div(
            rx.el.h3("Enrolment code"),
            text_field("Enrolment code", "enrolment_code_shown", value=S.enrolment_code),
            rx.el.p(S.enrolment_code_note),
            rx.el.div(_button("Hide code", S.hide_code), class_name="actions"),
            role="region", aria_label="Enrolment code", class_name="card",
        ),
    )


def _detail(term: str, value) -> rx.Component:
    return rx.el.div(rx.el.dt(term), rx.el.dd(value))


def _actions() -> rx.Component:
    user_id = S.user["id"]
    return rx.el.div(
        rx.cond(S.user["locked"] == "yes", _button("Unlock account", S.unlock(user_id))),
        _button("Reset two-factor", S.reset_two_factor(user_id)),
        rx.cond(S.user["active"] == "yes", _button("Disable account", S.disable(user_id)),
                _button("Enable account", S.enable(user_id))),
        _button("Close", S.close_view),
        class_name="actions",
    )


def _view() -> rx.Component:
    """One account: details and state, actions, organization roles, recent security events."""
    return rx.cond(
        S.user.contains("id"),
        rx.el.section(
            rx.el.h3("User ", S.user["user_id"], id="viewed-user"),
            rx.el.dl(
                _detail("User ID", S.user["user_id"]),
                _detail("Name", S.user["name"]),
                _detail("Email", S.user["email"]),
                _detail("Account", S.user["account"]),
                _detail("Sign-in", S.user["sign_in"]),
                _detail("Two-factor devices", S.user["devices"]),
                _detail("Administrator", S.user["administrator"]),
                class_name="details-list",
            ),
            _actions(),
            rx.el.h4("Organization roles"),
            data_table("Organization roles", ["Organization", "Role", "Since"], S.roles,
                       lambda r: [r["organization"], r["role"], r["since"]], empty="No organization roles."),
            rx.el.h4("Recent security events"),
            data_table("Recent security events", ["When", "Event", "By", "IP address", "Detail"], S.events,
                       lambda r: [r["at"], r["event"], r["by"], r["ip"], r["detail"]],
                       empty="No security events yet."),
            aria_labelledby="viewed-user",
        ),
    )


def users_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Users"),
        messages(S.error, S.message),
        _enrolment_code(),
        rx.el.form(
            text_field("User ID, Email or Name", "account",
                       hint="The start of a User ID, an email address, a first or last name, or a full name."),
            rx.el.div(submit_button("Find"), class_name="actions"),
            on_submit=S.find_users,
        ),
        _found(),
        _view(),
        class_name="card",
    )
