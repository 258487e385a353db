"""/pq: the PQ chapter. The PQs I may see, searched and paged; Add PQ (and the File menu)."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.forms import message, select_field, submit_button, text_field
from harmony_portal.components.pq_menu import file_menu
from harmony_portal.components.table import data_table
from harmony_portal.layouts import protected_page
from harmony_portal.state.pq_list import PQListState
from harmony_portal.vocabulary import INQUIRY_TYPES, PQ_STATUSES


def _cells(r) -> list:
    return [rx.el.a("PQ " + r["id"].to(str), href=routes.pq_url(r["id"])), r["provider"], r["inquiry_type"],
            r["subject"], r["status"], r["created"]]


def _search_form() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            text_field("PQ number", "number"),
            text_field("Provider", "provider"),
            select_field("Inquiry Type", "inquiry_type", list(INQUIRY_TYPES), placeholder="Any"),
            select_field("Status", "status", list(PQ_STATUSES), placeholder="Any"),
            text_field("Words in the subject or details", "words"),
            class_name="grid-2"),
        rx.el.div(submit_button("Search", primary=False), class_name="actions"),
        on_submit=PQListState.search, aria_label="Search PQs",
    )


def _pager() -> rx.Component:
    return rx.el.nav(
        rx.el.button("Previous page", type="button", class_name="btn", disabled=PQListState.page <= 1,
                     on_click=PQListState.go_to_page(PQListState.page - 1)),
        rx.el.span(" Page ", PQListState.page.to(str), " of ", PQListState.page_count.to(str), " "),
        rx.el.button("Next page", type="button", class_name="btn", disabled=PQListState.page >= PQListState.page_count,
                     on_click=PQListState.go_to_page(PQListState.page + 1)),
        aria_label="Pages", class_name="actions",
    )


def pq_list_page() -> rx.Component:
    return protected_page(
        rx.el.h1("PQ chapter"),
        rx.el.p("Provider Questions you may see. An Access Request goes to the Harmony Help Desk by itself; "
                "the help desk answers within 24 business hours."),
        rx.el.div(file_menu(), rx.el.button("Add PQ", type="button", class_name="btn btn-primary",
                                            on_click=rx.redirect(routes.PQ_NEW)),
                  class_name="actions"),
        _search_form(),
        message(PQListState.error),
        rx.el.p(PQListState.total_label, role="status"),
        data_table("PQs", ["Number", "Provider Name", "Inquiry Type", "Subject", "Status", "Filed"],
                   PQListState.rows, _cells),
        _pager(),
    )
