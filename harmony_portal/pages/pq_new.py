"""/pq/new: Add PQ. Save PQ files it; what is typed is kept as a draft as the user goes."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.form_data import form_values
from harmony_portal.components.forms import field_label, message, select_field, submit_button, text_field
from harmony_portal.components.pq_menu import file_menu
from harmony_portal.layouts import protected_page
from harmony_portal.state.pq_new import PQNewState
from harmony_portal.vocabulary import HELP_DESK, HELP_DESK_EMAIL, INQUIRY_TYPES, PQ_STATUSES

FORM_ID = "pq-form"
# While typing, the draft is saved this long after the last key (and on leaving a field).
DRAFT_DEBOUNCE_MS = 1500


def _error(name: str) -> rx.Var:
    return PQNewState.errors.get(name, "")


def _no_provider_hint() -> rx.Component:
    """No dead end: someone without an organization is told how to get one."""
    return rx.cond(PQNewState.no_provider, rx.el.p(
        "You have no organization yet, so there is no Provider Name to choose. ",
        rx.el.a("Request a role", href=routes.ROLE_REQUEST), " at your organization, or ask the ",
        f"{HELP_DESK} ({HELP_DESK_EMAIL}).",
        id="field-provider-hint", class_name="field-hint", role="status"))


def _provider_field() -> rx.Component:
    return rx.el.div(
        field_label("Provider Name", "provider", required=True),
        _no_provider_hint(),
        rx.el.select(rx.el.option("Choose…", value=""),
                     rx.foreach(PQNewState.providers, lambda o: rx.el.option(o["label"], value=o["id"])),
                     id="field-provider", name="provider", aria_required="true",
                     default_value=PQNewState.values.get("provider", ""),
                     aria_invalid=rx.cond(_error("provider") != "", "true", "false"),
                     aria_describedby=rx.cond(PQNewState.no_provider, "field-provider-hint field-provider-error",
                                              "field-provider-error")),
        rx.cond(_error("provider") != "", rx.el.p(_error("provider"), id="field-provider-error",
                                                  class_name="field-error")),
        class_name=rx.cond(_error("provider") != "", "field has-error", "field"),
    )


def _assigned_resource() -> rx.Component:
    return text_field(
        "Assigned Resource", "assigned_resource", value=PQNewState.assigned_resource,
        hint="Set by the Inquiry Type: an Access Request goes to the Harmony Help Desk by itself.",
        error=_error("assigned_resource"), tab_index=-1)  # read only: not a stop on the way to Save PQ


def _status() -> rx.Component:
    return rx.cond(
        PQNewState.may_set_status,
        select_field("Status", "status", list(PQ_STATUSES), default_value=PQNewState.values.get("status", "Pending"),
                     error=_error("status")),
        text_field("Status", "status", value="Pending", hint="A new PQ starts Pending.", tab_index=-1),
    )


def pq_new_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Add PQ"),
        rx.el.div(file_menu(save_form_id=FORM_ID), class_name="actions"),
        rx.cond(PQNewState.draft_restored,
                rx.el.p("Your unsaved PQ was kept and is filled in below.", role="status",
                        class_name="message message-info")),
        message(PQNewState.error),
        rx.el.p("Fields marked with an asterisk (*) are required."),
        rx.el.form(
            rx.el.div(
                _provider_field(),
                select_field("Inquiry Type", "inquiry_type", list(INQUIRY_TYPES), required=True,
                             default_value=PQNewState.values.get("inquiry_type", ""), error=_error("inquiry_type"),
                             on_change=PQNewState.choose_inquiry_type),
                class_name="grid-2"),
            text_field("Subject", "subject", required=True, default_value=PQNewState.values.get("subject", ""),
                       error=_error("subject"), max_length=200, on_change=_keep_draft().debounce(DRAFT_DEBOUNCE_MS)),
            text_field("Details", "details", required=True, multiline=True,
                       default_value=PQNewState.values.get("details", ""), error=_error("details"),
                       hint="What is being requested, and for whom.",
                       on_change=_keep_draft().debounce(DRAFT_DEBOUNCE_MS)),
            rx.el.div(_status(), _assigned_resource(), class_name="grid-2"),
            # Made when the form opened: a save repeated after a lost answer files nothing new.
            rx.el.input(type="hidden", name="client_key", default_value=PQNewState.client_key),
            rx.el.div(submit_button("Save PQ"), class_name="actions"),
            id=FORM_ID, key=PQNewState.form_key, on_submit=PQNewState.save, on_blur=_keep_draft(),
            custom_attrs={"data-keep-typing": "pq-new"},  # assets/keep_typing.js
        ),
    )


def _keep_draft():
    return PQNewState.keep_draft(form_values(FORM_ID))
