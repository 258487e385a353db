"""The PQ chapter's list (/pq): the PQs I may see, searched and paged."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import DomainError
from harmony_portal.services.pq import queries as pq_queries
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields, page_number
from harmony_portal.state.feedback import Feedback

__all__ = ["PQListState"]


class PQListState(Feedback, AuthState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    filters: dict[str, str] = {}

    def _search(self) -> None:
        user = self._require_user()
        f = self.filters
        with session_scope() as session:
            found, self.total = pq_queries.list_pqs(
                session, user, number=f.get("number") or None, provider=f.get("provider") or None,
                inquiry_type=f.get("inquiry_type") or None, status=f.get("status") or None,
                words=f.get("words") or None, page=self.page)
        self.rows = [{"id": str(p.id), "provider": p.provider_name, "inquiry_type": p.inquiry_type,
                      "subject": p.subject, "status": p.status, "created": format_local(p.created_at)}
                     for p in found]

    def _run_search(self) -> None:
        self.error = ""
        try:
            self._search()
        except DomainError as exc:
            self.rows, self.total = [], 0
            self.error = str(exc)

    @rx.event
    def load(self):
        self.filters, self.page = {}, 1
        self._run_search()

    @rx.event
    def search(self, form: dict):
        form = form_fields(form)
        self.filters = {k: form.get(k, "").strip() for k in ("number", "provider", "inquiry_type", "status", "words")}
        self.page = 1
        self._run_search()

    @rx.event
    def go_to_page(self, page):
        self.page = page_number(page, self.page_count)
        self._run_search()

    @rx.var
    def total_label(self) -> str:
        if self.total > pq_queries.TOTAL_LIMIT:
            return f"More than {pq_queries.TOTAL_LIMIT:,} PQs: refine the search to see them all"
        return "1 PQ" if self.total == 1 else f"{self.total} PQs"

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // pq_queries.PAGE_SIZE))
