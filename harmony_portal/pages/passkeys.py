"""Passkeys on the pages: User Profile's list and dialogs, the "Add a passkey?" offer after sign-in, the page
the passkey policy holds someone on, and "Use a passkey" as a step-up."""

import reflex as rx

from harmony_portal.components import message, messages, password_field, submit_button, text_field
from harmony_portal.components.dialog import confirm_form, dialog, dismiss_button
from harmony_portal.layouts import protected_page
from harmony_portal.state.base import AuthState
from harmony_portal.state.passkey_add import PasskeyAddState
from harmony_portal.state.passkey_step_up import PasskeyStepUpState
from harmony_portal.state.profile_passkeys import ProfilePasskeysState

STEP_UP_LABEL = "Current Password or Security Code"  # as services/signin/step_up names it
STEP_UP_HINT = "To confirm it is you: your password, or the 6-digit code one of your authenticator apps shows now."


def passkey_step_up() -> rx.Component:
    """"Use a passkey" instead of typing the step-up (for someone with a passkey)."""
    return rx.cond(AuthState.has_passkey, rx.el.div(
        rx.el.div(rx.el.button("Use a passkey", type="button", class_name="btn", on_click=PasskeyStepUpState.start),
                  class_name="actions"),
        message(PasskeyStepUpState.step_up_error),
        message(PasskeyStepUpState.step_up_message, "ok"),
    ))


def step_up_field(error: rx.Var) -> rx.Component:
    """The step-up question; left empty once a passkey confirmed it is them (the server knows)."""
    return rx.fragment(
        password_field(STEP_UP_LABEL, "step_up", required=True, error=error,
                       hint=STEP_UP_HINT + " Or use a passkey."),
        passkey_step_up(),
    )


def _name_field() -> rx.Component:
    return text_field("Passkey name", "passkey_name", error=PasskeyAddState.errors.get("passkey_name", ""),
                      default_value=PasskeyAddState.name, autocomplete="off",
                      hint="Optional, for example \"Work laptop\". Left empty, it is named after the device or "
                           "password manager that keeps it.")


def _add_form(*extra: rx.Component) -> rx.Component:
    """The name, the step-up when the sign-in was not just now, then the browser's own passkey dialog."""
    return rx.el.form(
        _name_field(),
        rx.cond(PasskeyAddState.needs_step_up,
                step_up_field(PasskeyAddState.errors.get("step_up", ""))),
        rx.el.div(submit_button("Add passkey"), *extra, class_name="actions"),
        on_submit=PasskeyAddState.start,
    )


def _passkey_row(p) -> rx.Component:
    checkbox_id = "passwordless-" + p["id"].to(str)
    return rx.el.li(
        rx.el.p(rx.el.strong(p["name"]), " (passkey, ", p["synced"], ")"),
        rx.el.p("Added ", p["added"], ". Last used: ", p["last_used"], ".", class_name="field-hint"),
        rx.el.div(
            rx.el.div(
                rx.el.input(type="checkbox", id=checkbox_id, checked=p["passwordless"] != "",
                            on_change=lambda on: ProfilePasskeysState.set_passwordless(p["id"], on)),
                rx.el.label("Sign in without a password", html_for=checkbox_id),
                class_name="checkbox-field",
            ),
            rx.el.button("Remove", type="button", class_name="btn", aria_label="Remove passkey " + p["name"].to(str),
                         on_click=[ProfilePasskeysState.ask_remove(p["id"]), PasskeyStepUpState.forget]),
            class_name="actions",
        ),
    )


def _remove_dialog() -> rx.Component:
    return dialog(
        ProfilePasskeysState.removing_id != "",
        "Remove passkey",
        "remove-passkey",
        rx.el.p("Remove the passkey ", rx.el.strong(ProfilePasskeysState.removing_name),
                "? It will no longer sign you in. Also delete it from the device or password manager that keeps it."),
        confirm_form(ProfilePasskeysState.remove, "Remove", ProfilePasskeysState.cancel_remove,
                     step_up_field(ProfilePasskeysState.step_up_error)),
    )


def _add_dialog() -> rx.Component:
    return dialog(
        PasskeyAddState.adding,
        "Add a passkey",
        "add-passkey",
        rx.el.p("A passkey signs you in with your device's PIN, fingerprint or face instead of a code, and can't "
                "be phished. Your browser asks where to keep it."),
        message(PasskeyAddState.error),
        _add_form(dismiss_button("Cancel", PasskeyAddState.close_dialog)),
    )


def passkeys_section() -> rx.Component:
    """Inside Two-Factor Devices: the passkeys, and "Add passkey"."""
    return rx.el.div(
        rx.el.h3("Passkeys"),
        messages(ProfilePasskeysState.error, ProfilePasskeysState.message),
        rx.cond(ProfilePasskeysState.passkeys.length() > 0,
                rx.el.ul(rx.foreach(ProfilePasskeysState.passkeys, _passkey_row)),
                rx.el.p("No passkey yet.")),
        rx.el.div(rx.el.button("Add passkey", type="button", class_name="btn btn-primary",
                               on_click=[PasskeyStepUpState.forget, PasskeyAddState.open_dialog]),
                  class_name="actions"),
        _add_dialog(),
        _remove_dialog(),
    )


def passkey_offer_page() -> rx.Component:
    return protected_page(
        rx.el.div(
            rx.el.h1("Add a passkey?"),
            rx.el.p("Next time, sign in with your device's PIN, fingerprint or face instead of typing a code. A "
                    "passkey can't be phished: it only works on this portal."),
            message(PasskeyAddState.error),
            _add_form(rx.el.button("Not now", type="button", class_name="btn", on_click=PasskeyAddState.not_now)),
            class_name="card narrow",
        )
    )


def passkey_required_page() -> rx.Component:
    return protected_page(
        rx.el.div(
            rx.el.h1("Add a passkey to continue"),
            rx.el.p("Security Officials and the Harmony Help Desk grant access to health information, so they "
                    "must sign in with a passkey, which can't be phished. Add one now; you can use the portal "
                    "again as soon as it is saved."),
            message(PasskeyAddState.error),
            _add_form(),
            class_name="card narrow",
        )
    )
