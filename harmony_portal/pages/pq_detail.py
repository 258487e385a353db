"""/pq/[pq_id]: one PQ. Sub-tabs Details, Notes (Add Note, attachments), Attachments, History."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.dialog import dialog, dismiss_button
from harmony_portal.components.form_data import form_values
from harmony_portal.components.forms import message, messages, select_field, submit_button, text_field
from harmony_portal.components.links import file_link
from harmony_portal.components.pq_menu import file_menu
from harmony_portal.components.table import data_table
from harmony_portal.layouts import protected_page
from harmony_portal.pages.pq_onboarding import agreement_panel, staff_access_section
from harmony_portal.pages.pq_signing import signing_section
from harmony_portal.state.pq_detail import UPLOAD_ID, PQDetailState
from harmony_portal.state.pq_onboarding import PQOnboardingState
from harmony_portal.vocabulary import ORGANIZATION_ROLES, PQ_NOTE_TYPES, PQ_STATUSES

NOTE_FORM_ID = "note-form"
# While typing, the draft is saved this long after the last key (and on leaving a field).
DRAFT_DEBOUNCE_MS = 1500
_PROVIDER_NOTE_TYPES = [t for t in PQ_NOTE_TYPES if t not in ("Response", "Internal")]
_ACCEPT = {"application/pdf": [".pdf"], "image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"],
           "image/tiff": [".tif", ".tiff"],
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"]}


def _access_forms() -> rx.Component:
    """The Access Request form without print-sign-scan: the blank one, and one filled in from this PQ."""
    return rx.el.div(
        rx.el.p(file_link("Blank Harmony Access Request form", href=routes.BLANK_ACCESS_FORM)),
        rx.cond(PQDetailState.pq["inquiry_type"] == "Access Request", rx.el.p(
            file_link("Download the Access Request form, filled in",
                    href=routes.access_form_url(PQDetailState.pq["id"])),
            " Sign it, then attach it to a note.")),
    )


def _details() -> rx.Component:
    return rx.fragment(_details_list(), _access_forms())


def _details_list() -> rx.Component:
    pq = PQDetailState.pq
    return rx.el.dl(
        *[rx.el.div(rx.el.dt(label), rx.el.dd(pq[key])) for label, key in (
            ("Provider Name", "provider"), ("Inquiry Type", "inquiry_type"), ("Subject", "subject"),
            ("Details", "details"), ("Status", "status"), ("Assigned Resource", "assigned_resource"),
            ("Filed", "created"))],
        class_name="details-list",
    )


def _note(n) -> rx.Component:
    return rx.el.article(
        rx.el.h3(n["type"], " note, ", n["status"]),
        rx.el.p(n["author"], ", ", n["at"], class_name="lede"),
        rx.el.p(n["text"], class_name="note-text"),
        rx.cond(n["files"] != "0", rx.el.ul(
            rx.foreach(PQDetailState.note_files, lambda f: rx.cond(f["note"] == n["id"], rx.el.li(
                file_link(f["name"], href="/pq/attachments/" + f["id"].to(str)), " (", f["size"], ")"))),
            aria_label="Files of this note", class_name="note-files")),
        class_name="card",
    )


def _labelled_upload(*children: rx.Component, label: str, **props) -> rx.Component:
    """rx.upload, with a name on its hidden file input (it has none of its own; axe asks for one)."""
    zone = rx.upload(*children, **props)
    pending = [zone]
    while pending:
        node = pending.pop()
        if getattr(node, "tag", None) == "input":
            node.custom_attrs["aria-label"] = label
        pending.extend(getattr(node, "children", []))
    return zone


def _file_picker() -> rx.Component:
    return rx.el.div(
        _labelled_upload(
            rx.el.button("Add Attachment", type="button", class_name="btn"),
            label="Attachment files", id=UPLOAD_ID, multiple=True, accept=_ACCEPT, no_keyboard=True,
            class_name="file-picker",
        ),
        rx.el.p("PDF, PNG, JPEG, TIFF or DOCX; up to ", PQDetailState.max_megabytes.to(str), " MB each.",
                class_name="field-hint"),
        rx.el.ul(rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: rx.el.li(name)), aria_label="Chosen files"),
        rx.el.div(
            rx.el.button("Upload", type="button", class_name="btn", disabled=PQDetailState.uploading,
                         on_click=PQDetailState.receive_files(rx.upload_files_chunk(
                             upload_id=UPLOAD_ID, on_upload_progress=PQDetailState.upload_progressed))),
            rx.el.progress(value=PQDetailState.upload_progress, max=100, aria_label="Upload progress"),
            class_name="actions"),
        rx.foreach(PQDetailState.upload_refusals, lambda why: rx.el.p(why, role="alert", class_name="field-error")),
        rx.cond(PQDetailState.uploaded.length() > 0, rx.el.div(
            rx.el.p("Uploaded, saved with the note:"),
            rx.el.ul(rx.foreach(PQDetailState.uploaded, lambda f: rx.el.li(
                f["name"], " (", f["size"], rx.cond(f["pages"] != "", ", " + f["pages"].to(str) + " pages", ""), ") ",
                rx.el.button("Remove", type="button", class_name="btn", aria_label="Remove " + f["name"].to(str),
                             on_click=PQDetailState.remove_upload(f["name"]))))),
            role="status")),
        class_name="field",
    )


def _note_dialog() -> rx.Component:
    errors = PQDetailState.note_errors
    return dialog(PQDetailState.note_open, "Add Note", "note", rx.el.form(
        message(PQDetailState.note_error),
        select_field("PQ Note Type", "note_type",
                     rx.cond(PQDetailState.help_desk, list(PQ_NOTE_TYPES), _PROVIDER_NOTE_TYPES),
                     required=True, default_value=PQDetailState.note_values.get("note_type", ""),
                     error=errors.get("note_type", "")),
        select_field("Status", "status", list(PQ_STATUSES), required=True,
                     default_value=PQDetailState.note_values.get("status", ""), error=errors.get("status", "")),
        text_field("Note", "note", required=True, multiline=True,
                   default_value=PQDetailState.note_values.get("note", ""), error=errors.get("note", ""),
                   auto_focus=True, on_change=_keep_note_draft().debounce(DRAFT_DEBOUNCE_MS)),
        _file_picker(),
        rx.el.input(type="hidden", name="client_key", default_value=PQDetailState.note_key),
        rx.el.div(submit_button("Save and Close Note"),
                  dismiss_button("Cancel", PQDetailState.close_note),
                  class_name="actions"),
        id=NOTE_FORM_ID, key=PQDetailState.note_form_key,
        custom_attrs={"data-keep-typing": "note-" + PQDetailState.pq["id"].to(str)},  # assets/keep_typing.js
        # A file on an Access Request note may be the signed agreement the help desk accepts.
        on_submit=[PQDetailState.save_note, PQOnboardingState.load_onboarding],
        on_blur=_keep_note_draft(),
    ))


def _keep_note_draft():
    return PQDetailState.keep_note_draft(form_values(NOTE_FORM_ID))


def _notes() -> rx.Component:
    return rx.el.div(
        rx.cond(~PQDetailState.note_open, rx.el.div(
            rx.el.button("Add Note", type="button", class_name="btn btn-primary", on_click=PQDetailState.open_note),
            class_name="actions")),
        rx.cond(PQDetailState.notes.length() > 0, rx.foreach(PQDetailState.notes, _note),
                rx.el.p("No notes yet.")),
        _note_dialog(),
    )


def _attachments() -> rx.Component:
    return data_table("Attachments", ["File", "Size", "Pages", "Uploaded"], PQDetailState.attachments,
                      lambda a: [file_link(a["name"], href="/pq/attachments/" + a["id"].to(str)), a["size"],
                                 a["pages"], a["at"]])


def _history() -> rx.Component:
    return data_table("History", ["When", "What", "Who"], PQDetailState.history,
                      lambda h: [h["at"], h["action"], h["who"]])


def _work_panel() -> rx.Component:
    """The help desk's actions on this PQ (the services refuse them to anyone else)."""
    errors = PQDetailState.work_errors
    access_request = rx.el.div(
        rx.el.form(
            rx.el.h3("Grant the requested role"),
            rx.el.div(
                text_field("Organization ID", "grant_organization", default_value=PQDetailState.pq["organization"],
                           error=errors.get("organization", "")),
                select_field("Role to grant", "grant_role", list(ORGANIZATION_ROLES), error=errors.get("role", "")),
                class_name="grid-2"),
            rx.el.div(submit_button("Grant role"), class_name="actions"),
            on_submit=PQDetailState.grant),
        rx.el.form(
            rx.el.h3("Refuse the request"),
            text_field("Refusal reason", "refusal_reason", multiline=True, error=errors.get("reason", "")),
            rx.el.div(submit_button("Refuse request", primary=False), class_name="actions"),
            on_submit=PQDetailState.refuse),
        agreement_panel(),
    )
    return rx.el.section(
        rx.el.h2("Work this PQ"),
        rx.el.div(rx.el.button("Take", type="button", class_name="btn", on_click=PQDetailState.take),
                  class_name="actions"),
        rx.el.form(
            select_field("New status", "new_status", list(PQ_STATUSES), default_value=PQDetailState.pq["status"]),
            rx.el.div(submit_button("Change status", primary=False), class_name="actions"),
            on_submit=PQDetailState.change_status),
        rx.cond(PQDetailState.pq["inquiry_type"] == "Access Request", access_request),
        class_name="card", aria_label="Work this PQ",
    )


def _tabs() -> rx.Component:
    tabs = (("Details", "details", _details()), ("Notes", "notes", _notes()),
            ("Attachments", "attachments", _attachments()), ("History", "history", _history()))
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(label, value=value) for label, value, _ in tabs], aria_label="PQ",
                     class_name="pq-tabs"),
        *[rx.tabs.content(body, value=value, class_name="tab-panel") for _label, value, body in tabs],
        default_value="details",
    )


def pq_detail_page() -> rx.Component:
    return protected_page(
        rx.el.h1(rx.cond(PQDetailState.pq.contains("id"), "PQ " + PQDetailState.pq["id"].to(str), "PQ")),
        messages(PQDetailState.error, PQDetailState.message),
        rx.cond(PQDetailState.pq.contains("id"), rx.el.div(
            rx.el.div(file_menu(), class_name="actions"),
            rx.cond(PQDetailState.pq["respond_by"] != "", rx.el.p(PQDetailState.pq["respond_by"], class_name="lede")),
            _tabs(),
            rx.cond(PQDetailState.pq["inquiry_type"] == "Access Request", signing_section()),
            rx.cond(PQDetailState.pq["inquiry_type"] == "Access Request", staff_access_section()),
            rx.cond(PQDetailState.help_desk, _work_panel()),
        )),
    )
