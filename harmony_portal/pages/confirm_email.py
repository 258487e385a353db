"""/profile/confirm-email: the link emailed to a new address (reachable signed out)."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import message
from harmony_portal.layouts import page
from harmony_portal.state.email_confirm import EmailConfirmState


def _ready() -> rx.Component:
    return rx.el.div(
        rx.el.p(
            "Use ", rx.el.strong(EmailConfirmState.new_email), " as the email address of your Harmony Portal account?"
        ),
        rx.el.div(
            rx.el.button(
                "Confirm email address", type="button", class_name="btn btn-primary", on_click=EmailConfirmState.confirm
            ),
            class_name="actions",
        ),
    )


def _done() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            "Your email address is now ",
            EmailConfirmState.new_email,
            ".",
            role="status",
            class_name="message message-ok",
        ),
        rx.el.p(rx.el.a("Go to your User Profile", href=routes.PROFILE)),
    )


def confirm_email_page() -> rx.Component:
    return page(
        rx.el.div(
            rx.el.h1("Confirm your new email address"),
            rx.match(
                EmailConfirmState.status,
                ("ready", _ready()),
                ("done", _done()),
                (
                    "refused",
                    rx.el.div(
                        message(EmailConfirmState.error),
                        rx.el.p(rx.el.a("Go to your User Profile", href=routes.PROFILE)),
                    ),
                ),
                rx.el.p("Checking the link…"),
            ),
            class_name="card narrow",
        )
    )
