"""The Audit Log section of /admin: filter, page through and export every audit event."""

import reflex as rx

from harmony_portal.components import message, submit_button, text_field
from harmony_portal.components.table import data_table
from harmony_portal.services.audit.admin_log import KNOWN_ACTIONS
from harmony_portal.state.admin_audit import AdminAuditState

__all__ = ["audit_section"]

_ACTIONS_LIST = "audit-known-actions"
_COLUMNS = ["When", "Action", "Actor", "Subject", "Organization", "Target", "IP", "Detail"]


def _field(label: str, name: str, **props) -> rx.Component:
    return text_field(label, f"audit_{name}", error=AdminAuditState.errors.get(name, ""),
                      default_value=AdminAuditState.applied.get(name, ""), **props)


def _filters() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            _field("From", "from", type="date", hint="Alaska time; the whole day counts."),
            _field("To", "to", type="date", hint="Alaska time; the whole day counts."),
            # No label holds another's words ("Actor" holds "to"): tests find fields by label text.
            _field("Acted by (User ID)", "actor"),
            _field("Organization (ID)", "organization"),
            _field("Action", "action", hint="Choose one, or type an action name.", list=_ACTIONS_LIST,
                   autocomplete="off"),
            class_name="grid-2",
        ),
        rx.el.datalist(*[rx.el.option(value=action) for action in KNOWN_ACTIONS], id=_ACTIONS_LIST),
        rx.el.div(
            submit_button("Apply filters"),
            rx.el.button("Clear filters", type="button", class_name="btn", on_click=AdminAuditState.clear_filters),
            rx.el.button("Export CSV", type="button", class_name="btn", on_click=AdminAuditState.export_csv),
            class_name="actions",
        ),
        on_submit=AdminAuditState.apply_filters,
        key=AdminAuditState.form_key,
    )


def _pager() -> rx.Component:
    return rx.el.nav(
        rx.el.button("Newer", type="button", class_name="btn", disabled=~AdminAuditState.has_newer,
                     on_click=AdminAuditState.newer),
        rx.el.button("Older", type="button", class_name="btn", disabled=~AdminAuditState.has_older,
                     on_click=AdminAuditState.older),
        aria_label="Audit log pages", class_name="actions",
    )


def audit_section() -> rx.Component:
    """Every audit event, newest first, 50 a page; the export takes the filter in force.

    Shown to administrators only (the rest would see the admin page's own refusal twice);
    the services refuse everyone else whatever the page shows.
    """
    return rx.cond(AdminAuditState.is_admin, rx.el.section(
        rx.el.h2("Audit Log"),
        message(AdminAuditState.error),
        _filters(),
        data_table("Audit log", _COLUMNS, AdminAuditState.rows,
                   lambda r: [r["at"], r["action"], r["actor"], r["subject"], r["organization"], r["target"],
                              r["ip"], r["detail"]]),
        rx.cond(AdminAuditState.rows.length() == 0, rx.el.p("No audit events match.")),
        _pager(),
        class_name="card",
    ))
