"""/forgot: Having trouble logging in?"""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import messages, password_field, submit_button, text_field
from harmony_portal.layouts import page
from harmony_portal.state.forgot import ForgotState


def _request_form() -> rx.Component:
    return rx.el.form(
        rx.el.p(
            "Enter the Email Address of your account. We will send a link to reset your password. "
            "Forgot your User ID? The email tells you that too."
        ),
        text_field("Email Address", "email", type="email", required=True, autocomplete="email"),
        rx.el.div(submit_button("Send reset link"), rx.el.a("Back to Login", href=routes.LOGIN), class_name="actions"),
        on_submit=ForgotState.request_link,
    )


def _reset_form() -> rx.Component:
    return rx.el.form(
        rx.el.p(
            "Answer your challenge question and enter a security code from your authenticator app (or a recovery code)."
        ),
        rx.el.p(rx.el.strong("Challenge Question: "), ForgotState.challenge_question),
        text_field("Challenge Answer", "challenge_answer", required=True, autocomplete="off",
                   error=ForgotState.errors.get("challenge_answer", "")),
        text_field("Security code", "security_code", required=True, autocomplete="one-time-code",
                   error=ForgotState.errors.get("security_code", "")),
        password_field("New Password", "new_password", new=True, error=ForgotState.errors.get("new_password", "")),
        password_field("Confirm New Password", "confirm_new_password", new=True,
                       error=ForgotState.errors.get("confirm_new_password", "")),
        rx.el.div(submit_button("Reset password"), class_name="actions"),
        on_submit=ForgotState.complete,
    )


def forgot_page() -> rx.Component:
    return page(
        rx.el.div(
            rx.el.h1("Having trouble logging in?"),
            messages(ForgotState.error, ForgotState.sent_message),
            rx.cond(ForgotState.token_valid, _reset_form(), _request_form()),
            class_name="card narrow",
        )
    )
