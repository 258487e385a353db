"""/roles/request: ask for a role at an organization."""

import reflex as rx

from harmony_portal.components import message, select_field, submit_button, text_field
from harmony_portal.components.forms import field_label
from harmony_portal.layouts import protected_page
from harmony_portal.state.role_request import RoleRequestState
from harmony_portal.vocabulary import ORGANIZATION_ROLES


def _organization_field() -> rx.Component:
    error = RoleRequestState.errors.get("organization", "")
    return rx.el.div(
        field_label("Organization", "organization", required=True),
        rx.el.select(
            rx.el.option("Choose…", value=""),
            rx.foreach(RoleRequestState.organizations, lambda o: rx.el.option(o["label"], value=o["id"])),
            id="field-organization",
            name="organization",
            default_value=RoleRequestState.organization,
            aria_required="true",
            aria_describedby="field-organization-error",
            aria_invalid=rx.cond(error != "", "true", "false"),
        ),
        rx.cond(error != "", rx.el.p(error, id="field-organization-error", class_name="field-error")),
        class_name=rx.cond(error != "", "field has-error", "field"),
    )


def role_request_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Request a role"),
        rx.el.p(
            "Your organization's Security Official reviews the request and you get an email with the decision.",
            class_name="lede",
        ),
        message(RoleRequestState.error),
        rx.el.form(
            _organization_field(),
            select_field("Role", "role", list(ORGANIZATION_ROLES), required=True,
                         error=RoleRequestState.errors.get("role", ""), default_value=RoleRequestState.role),
            text_field(
                "Justification",
                "justification",
                required=True,
                multiline=True,
                error=RoleRequestState.errors.get("justification", ""),
                default_value=RoleRequestState.justification,
                hint="Why you need this role: 10 to 1000 characters.",
            ),
            rx.el.input(type="hidden", name="client_key", default_value=RoleRequestState.client_key),
            rx.el.div(submit_button("Submit Request"), class_name="actions"),
            on_submit=RoleRequestState.submit,
            key=RoleRequestState.form_key,
            custom_attrs={"data-keep-typing": "role-request"},  # assets/keep_typing.js
            class_name="card narrow",
        ),
    )
