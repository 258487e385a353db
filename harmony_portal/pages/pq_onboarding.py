"""Part of /pq/[pq_id]: the Access Coordinator Agreement (help desk), staff access requests
and each staff member's onboarding checklist (PQOnboardingState)."""

import reflex as rx

from harmony_portal.components.dialog import confirm_form, dialog
from harmony_portal.components.forms import select_field, submit_button, text_field
from harmony_portal.services.onboarding.checklist import STEPS
from harmony_portal.services.onboarding.staff_access import STAFF_ROLES
from harmony_portal.state.pq_onboarding import PQOnboardingState

__all__ = ["agreement_panel", "staff_access_section"]


def agreement_panel() -> rx.Component:
    """On the help desk's work panel of an Access Request PQ: one button per person the agreement may name."""
    candidates = PQOnboardingState.coordinator_candidates
    return rx.el.div(
        rx.el.h3("Access Coordinator Agreement"),
        rx.cond(
            candidates.length() > 0,
            rx.el.div(rx.foreach(candidates, lambda c: rx.el.button(
                "Accept Access Coordinator Agreement for " + c["name"].to(str) + " (" + c["login"].to(str) + ")",
                type="button", class_name="btn", on_click=PQOnboardingState.accept_agreement(c["id"]))),
                class_name="actions"),
            rx.el.p("No signed Access Coordinator Agreement is uploaded yet: it comes as a file on an "
                    "Access Request note."),
        ),
    )


def _step(row, step: str, label: str) -> rx.Component:
    name = row["name"].to(str)
    done = row[step].to(str)
    return rx.el.li(
        label, ": ", rx.cond(done != "", "done " + done, "not yet"), " ",
        rx.cond(row["may_mark"] == "yes", rx.cond(
            done == "",
            rx.el.button("Mark done", type="button", class_name="btn", aria_label=f"Mark done: {label}, " + name,
                         on_click=PQOnboardingState.mark(row["user"], step, True)),
            rx.el.button("Mark not done", type="button", class_name="btn",
                         aria_label=f"Mark not done: {label}, " + name,
                         on_click=PQOnboardingState.mark(row["user"], step, False)))),
    )


def _staff_request(row) -> rx.Component:
    name = row["name"].to(str)
    return rx.el.article(
        rx.el.h3(row["name"], " (", row["login"], "), ", row["role"], ", ", row["status"]),
        rx.cond(row["requested_by"] != "", rx.el.p("Requested by ", row["requested_by"], class_name="lede")),
        rx.el.p(row["summary"]),
        rx.el.ul(*[_step(row, step, label) for step, label in STEPS.items()], aria_label="Checklist for " + name),
        rx.cond(row["override"] != "", rx.el.p("Override reason: ", row["override"])),
        rx.cond(PQOnboardingState.help_desk & (row["satisfied"] == ""), rx.el.div(
            rx.el.button("Override checklist", type="button", class_name="btn", aria_label="Override checklist for "
                         + name, on_click=PQOnboardingState.open_override(row["user"])),
            class_name="actions")),
        class_name="card",
    )


def _staff_form() -> rx.Component:
    errors = PQOnboardingState.staff_errors
    return rx.el.form(
        rx.el.h3("Request access for a staff member"),
        rx.el.p("Your staff member signs up first and tells you their User ID and Email Address. Approval waits "
                "until their checklist is complete: identity account, Harmony Security Agreement, "
                "Introduction to Harmony training."),
        rx.el.div(
            text_field("Staff User ID", "staff_user_id", required=True, error=errors.get("staff_user_id", "")),
            text_field("Staff Email Address", "staff_email", type="email", required=True,
                       error=errors.get("staff_email", "")),
            class_name="grid-2"),
        select_field("Staff Role", "staff_role", list(STAFF_ROLES), required=True, default_value="Staff",
                     error=errors.get("staff_role", "")),
        rx.el.div(submit_button("Request Staff Access"), class_name="actions"),
        key=PQOnboardingState.staff_form_key, on_submit=PQOnboardingState.request_staff,
    )


def _override_dialog() -> rx.Component:
    return dialog(PQOnboardingState.override_open, "Override checklist", "override", confirm_form(
        PQOnboardingState.override_checklist, "Override", PQOnboardingState.close_override,
        rx.el.p("Approval of ", PQOnboardingState.override_name, "'s role requests may then go ahead before the "
                "checklist is complete. The reason is kept in the audit log."),
        text_field("Override reason", "override_reason", required=True, multiline=True,
                   error=PQOnboardingState.override_error, auto_focus=True)))


def staff_access_section() -> rx.Component:
    """Staff requests filed on this PQ with their checklists, and the Access Coordinator's form."""
    return rx.cond(
        (PQOnboardingState.staff_requests.length() > 0) | PQOnboardingState.may_request_staff,
        rx.el.section(
            rx.el.h2("Staff access"),
            rx.foreach(PQOnboardingState.staff_requests, _staff_request),
            rx.cond(PQOnboardingState.may_request_staff, _staff_form()),
            _override_dialog(),
            class_name="card", aria_label="Staff access",
        ),
    )
