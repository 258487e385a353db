"""/admin: Administration (help-desk administrators)."""

import reflex as rx

from harmony_portal.components import messages, select_field, submit_button, text_field
from harmony_portal.components.table import data_table
from harmony_portal.layouts import protected_page
from harmony_portal.pages.admin_audit import audit_section
from harmony_portal.pages.admin_maintenance import announcements_section, maintenance_section
from harmony_portal.pages.admin_outbox import outbox_section
from harmony_portal.pages.admin_reviews import reviews_section
from harmony_portal.pages.admin_users import users_section
from harmony_portal.state.admin import AdminState
from harmony_portal.vocabulary import ORGANIZATION_ROLES, PROVIDER_TYPES


def _table(label: str, headers: list[str], rows, cells) -> rx.Component:
    return data_table(label, headers, rows, lambda r: [c(r) for c in cells])


def _passkey_policy() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Sign-in policy"),
        rx.el.div(
            rx.el.input(type="checkbox", id="require-passkey", checked=AdminState.require_passkey,
                        aria_describedby="require-passkey-hint", on_change=AdminState.set_passkey_requirement),
            rx.el.label("Require a passkey for Security Officials and the help desk", html_for="require-passkey"),
            class_name="checkbox-field",
        ),
        rx.el.p(AdminState.without_passkey.to(str) + " without a passkey", id="require-passkey-hint",
                class_name="field-hint"),
        rx.el.p("Those without one are asked to add a passkey at their next sign-in and can do nothing else "
                "until they have. Turn it on once you have a passkey of your own.", class_name="field-hint"),
        class_name="card",
    )


def _role_terms() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Role terms"),
        rx.el.p("How long a role lasts when the approval names no \"Access ends on\" date.", class_name="field-hint"),
        rx.el.ul(rx.foreach(AdminState.role_terms, lambda line: rx.el.li(line))),
        rx.el.form(
            rx.el.div(
                select_field("Role", "role", list(ORGANIZATION_ROLES), required=True,
                             error=AdminState.errors.get("role", "")),
                text_field("Days", "days", input_mode="numeric", error=AdminState.errors.get("days", ""),
                           hint="For example 365. Empty: the role lasts until removed."),
                class_name="grid-2",
            ),
            rx.el.div(submit_button("Save term"), class_name="actions"),
            on_submit=AdminState.set_role_term,
        ),
        class_name="card",
    )


def admin_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Administration"),
        messages(AdminState.error, AdminState.message),
        _passkey_policy(),
        _role_terms(),
        reviews_section(),
        maintenance_section(),
        announcements_section(),
        rx.el.section(
            rx.el.h2("Organizations"),
            rx.el.form(
                rx.el.div(
                    text_field("Organization ID", "org_id", required=True, error=AdminState.errors.get("id", "")),
                    text_field("Organization name", "org_name", required=True, error=AdminState.errors.get("name", "")),
                    select_field("Provider type", "provider_type", list(PROVIDER_TYPES), required=True,
                                 error=AdminState.errors.get("provider_type", "")),
                    class_name="grid-2",
                ),
                rx.el.div(submit_button("Add organization"), class_name="actions"),
                on_submit=AdminState.add_organization,
                key=AdminState.form_key,
            ),
            _table(
                "Organizations",
                ["ID", "Name", "Provider type"],
                AdminState.organizations,
                [lambda r: r["id"], lambda r: r["name"], lambda r: r["type"]],
            ),
            class_name="card",
        ),
        users_section(),
        audit_section(),
        outbox_section(),
    )
