"""/profile: User Profile."""

import reflex as rx

from harmony_portal.components import message, password_field, select_field, submit_button, text_field
from harmony_portal.components.dialog import confirm_form, dialog
from harmony_portal.layouts import protected_page
from harmony_portal.pages.email_notifications import email_notifications_section
from harmony_portal.pages.passkeys import passkey_step_up, passkeys_section
from harmony_portal.state.passkey_step_up import PasskeyStepUpState
from harmony_portal.state.profile import ProfileState
from harmony_portal.vocabulary import CHALLENGE_QUESTIONS

_PROFILE = (
    ("First Name", "first_name"),
    ("Middle Name", "middle_name"),
    ("Last Name", "last_name"),
    ("Date of Birth", "date_of_birth"),
    ("Email Address", "email"),
    ("Phone Number", "phone"),
    ("Home Address Line 1", "address_line1"),
    ("Home Address Line 2", "address_line2"),
    ("City", "city"),
    ("State", "state"),
    ("ZIP Code", "zip_code"),
    ("ZIP Code Extension", "zip_extension"),
    ("Country", "country"),
)


def _err(name: str):
    return ProfileState.errors.get(name, "")


def _ok(section: str) -> rx.Component:
    return rx.fragment(
        message(ProfileState.messages.get(section, ""), "error"),
        message(ProfileState.messages.get(section + "_ok", ""), "ok"),
    )


STEP_UP_LABEL = "Current Password or Security Code"


def step_up_field(hint: str, *, required: bool = True) -> rx.Component:
    """The step-up question: the current password, or a 6-digit code from a device already set up."""
    return password_field(STEP_UP_LABEL, "step_up", required=required, error=_err("step_up"), hint=hint)


def _pending_email() -> rx.Component:
    return rx.cond(
        ProfileState.pending_email != "",
        rx.el.p(
            "New email address ",
            rx.el.strong(ProfileState.pending_email),
            ": pending confirmation. Open the link we sent to it (valid for 24 hours); until then, "
            "emails go to the address above.",
            class_name="field-hint",
        ),
    )


def _profile_view() -> rx.Component:
    return rx.el.div(
        rx.el.dl(
            *[rx.el.div(rx.el.dt(label), rx.el.dd(ProfileState.profile.get(name, ""))) for label, name in _PROFILE],
            class_name="grid-2",
        ),
        _pending_email(),
        rx.el.div(
            rx.el.button("Edit", type="button", class_name="btn", on_click=ProfileState.edit), class_name="actions"
        ),
    )


def _profile_form() -> rx.Component:
    types = {"date_of_birth": "date", "email": "email", "phone": "tel"}
    return rx.el.form(
        rx.el.div(
            *[
                text_field(
                    label,
                    name,
                    type=types.get(name, "text"),
                    error=_err(name),
                    default_value=ProfileState.profile.get(name, ""),
                    required=name in {"first_name", "last_name", "date_of_birth", "email", "country"},
                )
                for label, name in _PROFILE
            ],
            class_name="grid-2",
        ),
        _pending_email(),
        step_up_field(
            "Needed only to change your Email Address: your password, or the 6-digit code your "
            "authenticator app shows now. The new address must then be confirmed from its inbox.",
            required=False,
        ),
        passkey_step_up(),
        rx.el.div(
            submit_button("Save"),
            rx.el.button("Cancel", type="button", class_name="btn", on_click=ProfileState.cancel_edit),
            class_name="actions",
        ),
        on_submit=ProfileState.save_profile,
        key=ProfileState.form_key,
    )


def _device_row(d) -> rx.Component:
    return rx.el.li(
        rx.el.form(
            rx.el.input(type="hidden", name="device_id", value=d["id"]),
            rx.el.label("Device name", html_for="device-" + d["id"].to(str), class_name="visually-hidden"),
            rx.el.input(id="device-" + d["id"].to(str), name="device_name", default_value=d["name"]),
            rx.el.button("Rename", type="submit", class_name="btn", aria_label="Rename " + d["name"].to(str)),
            rx.el.button(
                "Remove",
                type="button",
                class_name="btn",
                aria_label="Remove " + d["name"].to(str),
                on_click=[ProfileState.ask_remove(d["id"]), PasskeyStepUpState.forget],
            ),
            on_submit=ProfileState.rename_device,
            class_name="actions",
        ),
    )


def _remove_dialog() -> rx.Component:
    return dialog(
        ProfileState.removing_id != "",
        "Remove device",
        "remove-device",
        rx.el.p("Remove ", rx.el.strong(ProfileState.removing_name), "? It will no longer sign you in."),
        confirm_form(
            ProfileState.remove_device,
            "Remove",
            ProfileState.cancel_remove,
            password_field(STEP_UP_LABEL, "step_up", required=True, error=_err("step_up"),
                           hint="To confirm it is you: your password, or the 6-digit code one of your "
                                "authenticator apps shows now. Or use a passkey."),
            passkey_step_up(),
        ),
    )


def profile_page() -> rx.Component:
    return protected_page(
        rx.el.h1("User Profile"),
        rx.el.section(
            rx.el.h2("Profile Information"),
            _ok("profile"),
            rx.cond(ProfileState.editing, _profile_form(), _profile_view()),
            class_name="card",
        ),
        rx.el.section(
            rx.el.h2("Change Password"),
            _ok("password"),
            rx.el.form(
                password_field("Current Password", "current_password", error=_err("current_password")),
                password_field("New Password", "new_password", new=True, error=_err("new_password"),
                               hint="At least 12 characters. Changing it signs out your other sessions."),
                password_field("Confirm New Password", "confirm_new_password", new=True,
                               error=_err("confirm_new_password")),
                rx.el.div(submit_button("Change Password"), class_name="actions"),
                on_submit=ProfileState.change_password,
                reset_on_submit=False,
            ),
            class_name="card narrow",
        ),
        rx.el.section(
            rx.el.h2("Challenge Question"),
            _ok("challenge"),
            rx.el.p("Current question: ", ProfileState.challenge_question),
            rx.el.form(
                select_field(
                    "Challenge Question",
                    "challenge_question",
                    list(CHALLENGE_QUESTIONS),
                    required=True,
                    error=_err("challenge_question"),
                ),
                text_field(
                    "Challenge Answer",
                    "challenge_answer",
                    required=True,
                    error=_err("challenge_answer"),
                    autocomplete="off",
                ),
                password_field("Your password, to confirm", "challenge_password", error=_err("challenge_password")),
                rx.el.div(submit_button("Save challenge question"), class_name="actions"),
                on_submit=ProfileState.change_challenge,
            ),
            class_name="card narrow",
        ),
        rx.el.section(
            rx.el.h2("Two-Factor Devices"),
            _ok("devices"),
            rx.el.h3("Authenticator apps"),
            rx.el.ul(rx.foreach(ProfileState.devices, _device_row)),
            rx.el.div(
                rx.el.button(
                    "Add device", type="button", class_name="btn btn-primary", on_click=ProfileState.add_device
                ),
                class_name="actions",
            ),
            _remove_dialog(),
            passkeys_section(),
            class_name="card",
        ),
        email_notifications_section(),
    )
