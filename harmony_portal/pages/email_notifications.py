"""The User Profile's "Email Notifications" section: a checkbox per kind of email."""

import reflex as rx

from harmony_portal.components import checkbox_field, message, submit_button
from harmony_portal.services.notifications.email_preferences import CHOICES, SECURITY_NOTE, Category
from harmony_portal.state.profile import ProfileState

__all__ = ["email_notifications_section"]


def _choice(category: Category) -> rx.Component:
    name = f"email_{category.key}"
    hint_id = f"{name.replace('_', '-')}-hint"
    return rx.el.div(
        checkbox_field(category.label, name, default_checked=ProfileState.email_choices[category.key],
                       aria_describedby=hint_id),
        rx.el.p(category.hint, id=hint_id, class_name="field-hint"),
    )


def email_notifications_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Email Notifications"),
        message(ProfileState.messages.get("email", ""), "error"),
        message(ProfileState.messages.get("email_ok", ""), "ok"),
        rx.el.p("Choose which emails you get. Everything still appears under Notifications on your Home page."),
        rx.el.form(
            rx.el.fieldset(
                rx.el.legend("Email me about"),
                *[_choice(c) for c in CHOICES],
            ),
            rx.el.p(SECURITY_NOTE),
            rx.el.div(submit_button("Save email choices"), class_name="actions"),
            on_submit=ProfileState.save_email_choices,
            key=ProfileState.email_form_key,
        ),
        class_name="card narrow",
    )
