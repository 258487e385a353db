"""The Outbox section of /admin: each email's state, the last error, and Retry for a failed one."""

import reflex as rx

from harmony_portal.components import messages
from harmony_portal.components.table import data_table, hidden_header
from harmony_portal.state.admin_outbox import AdminOutboxState

__all__ = ["outbox_section"]


def _state(r) -> rx.Component:
    return rx.el.div(
        rx.el.span(r["state"], class_name="status-pill"),
        rx.cond(r["error"] != "", rx.el.div("Last error: ", r["error"])),
    )


def _subject(r) -> rx.Component:
    """The subject; on a demo machine without a mail server, the whole message under it."""
    return rx.cond(r["body"] != "", rx.el.details(rx.el.summary(r["subject"]), rx.el.pre(r["body"],
                                                                                     class_name="email-body")),
                   r["subject"])


def _retry(r) -> rx.Component:
    # Named by address and subject: two failed emails to one person still differ.
    return rx.cond(
        r["retryable"] != "",
        rx.el.button("Retry", type="button", class_name="btn",
                     aria_label="Retry email to " + r["to"].to(str) + ": " + r["subject"].to(str),
                     on_click=AdminOutboxState.retry(r["id"])),
    )


def outbox_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Outbox"),
        messages(AdminOutboxState.error, AdminOutboxState.message),
        rx.el.p("Every email the portal sends waits here until the mail server takes it. One that keeps "
                "failing is tried again, each time after a longer wait, then marked failed: Retry sends it again.",
                class_name="field-hint"),
        rx.cond(AdminOutboxState.delivery_note != "", rx.el.p(AdminOutboxState.delivery_note, role="status",
                                                               class_name="message message-info")),
        data_table(
            "Outbox",
            ["To", "Subject", "Kind", "Queued", "State", hidden_header("Actions")],
            AdminOutboxState.emails,
            lambda r: [r["to"], _subject(r), r["category"], r["queued"], _state(r), _retry(r)],
        ),
        class_name="card",
    )
