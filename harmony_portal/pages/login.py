"""/login: the HARP sign-in, in two steps."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import checkbox_field, message, submit_button, text_field
from harmony_portal.layouts import page
from harmony_portal.state.login import LoginState


def _password_step() -> rx.Component:
    return rx.el.form(
        # "webauthn": with the request the form starts (on_mount), the User ID's autofill offers passkeys too.
        text_field("User ID", "user_id", required=True, autocomplete="username webauthn"),
        text_field("Password", "password", type="password", required=True, autocomplete="current-password"),
        checkbox_field(rx.fragment("I agree to the Terms & Conditions"), "agree_terms",
                       error=LoginState.terms_error, on_change=LoginState.set_agreed),
        rx.el.p(rx.el.a("Read the Terms & Conditions", href=routes.TERMS)),
        rx.el.div(submit_button("Login"), rx.el.a("Having trouble logging in?", href=routes.FORGOT),
                  class_name="actions"),
        rx.el.div(
            rx.el.button("Sign in with a passkey", type="button", class_name="btn",
                         on_click=LoginState.sign_in_with_passkey),
            rx.el.span("No User ID or password: for a passkey you set to sign in without a password.",
                       class_name="field-hint"),
            class_name="actions",
        ),
        rx.el.p("Don't have an account? ", rx.el.a("Sign Up", href=routes.SIGNUP)),
        on_submit=LoginState.submit_password,
        # While this form is shown, the User ID field offers passkeys in its autofill (where the browser can).
        on_mount=LoginState.start_autofill,
        on_unmount=rx.call_script("window.harmonyPasskeys && window.harmonyPasskeys.stop()"),
    )


def _switch(text: str, href: str, event) -> rx.Component:
    return rx.el.a(text, href=href, on_click=[rx.prevent_default, event])


def _passkey_step() -> rx.Component:
    """After the password, for an account with a passkey: the passkey, or the other ways it has."""
    return rx.el.div(
        rx.el.p("Confirm it is you with your passkey: your device asks for its PIN, fingerprint or face."),
        rx.el.div(
            rx.el.button("Use a passkey", type="button", class_name="btn btn-primary", auto_focus=True,
                         on_click=LoginState.use_passkey),
            rx.cond(LoginState.has_code, _switch("Use a security code", "#code", LoginState.show_code)),
            _switch("Use a recovery code", "#recovery", LoginState.show_recovery),
            class_name="actions",
        ),
    )


def _second_step(intro: str, field: rx.Component, switch_text: str, switch_href: str, switch_event,
                 on_submit) -> rx.Component:
    """One way to pass the second step, with a link to the other way (and back to the passkey, for an
    account with one)."""
    return rx.el.form(
        rx.el.p(intro),
        field,
        rx.el.div(submit_button("Verify"),
                  rx.el.a(switch_text, href=switch_href, on_click=[rx.prevent_default, switch_event]),
                  rx.cond(LoginState.has_passkey_step,
                          rx.el.a("Use a passkey instead", href="#passkey",
                                  on_click=[rx.prevent_default, LoginState.show_passkey])),
                  class_name="actions"),
        on_submit=on_submit,
        reset_on_submit=True,
    )


def _code_step() -> rx.Component:
    return _second_step(
        "Enter the 6-digit security code from your authenticator app.",
        text_field("Security code", "security_code", required=True, autocomplete="one-time-code",
                   input_mode="numeric", auto_focus=True),
        "Use a recovery code", "#recovery", LoginState.show_recovery, LoginState.submit_code)


def _recovery_step() -> rx.Component:
    return _second_step(
        "Enter one of the recovery codes you saved when you set up two-factor sign-in. Each code works once.",
        text_field("Recovery code", "recovery_code", required=True, autocomplete="off", auto_focus=True),
        "Use a security code", "#code", LoginState.show_code, LoginState.submit_recovery_code)


def _enrolment_step() -> rx.Component:
    """After the help desk reset two-factor sign-in: the code they gave, before enrolling again."""
    return rx.el.form(
        rx.el.p("Your two-factor sign-in was reset by the Harmony Help Desk. Enter the enrolment code the "
                "help desk gave you; then you set up your authenticator app again."),
        text_field("Enrolment code", "enrolment_code", required=True, autocomplete="off", auto_focus=True,
                   hint="12 letters and digits, for example ABCD-EFGH-JKLM. It works once, within 72 hours "
                   "of the reset."),
        rx.el.div(submit_button("Continue"), class_name="actions"),
        on_submit=LoginState.submit_enrolment_code,
        reset_on_submit=True,
    )


def login_page() -> rx.Component:
    return page(
        rx.el.div(
            rx.el.h1("Login"),
            message(LoginState.message, "info"),
            rx.el.p("Enter your User ID and Password to login.", class_name="lede"),
            message(LoginState.error),
            rx.match(
                LoginState.step,
                ("passkey", _passkey_step()),
                ("code", _code_step()),
                ("recovery", _recovery_step()),
                ("enrolment", _enrolment_step()),
                _password_step(),
            ),
            class_name="card narrow",
        )
    )
