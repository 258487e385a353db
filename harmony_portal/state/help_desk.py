"""Help Desk queue: the queue itself, its filters and the weekly figures live in the session's
live HelpDeskFeed; this keeps one page's refusal, messages and the provider choices."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.live.help_desk import HelpDeskFeed, link_help_desk, unlink_help_desk
from harmony_portal.models import utc_now
from harmony_portal.services.errors import DomainError
from harmony_portal.services.pq import filing as pq
from harmony_portal.services.pq import help_desk_feeds
from harmony_portal.services.pq.access import NO_SUCH_PQ, require_help_desk
from harmony_portal.services.roles.organizations import organization_choices
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import as_text, parse_id
from harmony_portal.state.feedback import Feedback

__all__ = ["HelpDeskState"]

REFUSAL = "The Help Desk queue is for help-desk administrators only."
_FILTERS = ("status", "inquiry_type", "provider")


class HelpDeskState(Feedback, AuthState):
    refused: str = ""  # set when the signed-in user is not the help desk: the page shows only this
    providers: list[dict[str, str]] = []  # {"id", "label": "Name (ID)"}

    @rx.event
    async def load(self):
        self.error = self.message = self.refused = ""
        self.providers = []
        try:
            active = self._require_session()
            require_help_desk(active.user, REFUSAL)
            with session_scope() as session:
                providers = organization_choices(session)
        except DomainError as exc:
            self.refused = str(exc)
            await unlink_help_desk(self)  # a tab of someone who no longer is the help desk keeps nothing
            return
        self.providers = providers
        # Linked only now that the server knows this is the help desk: the feed is this session's alone.
        await link_help_desk(self, active.record.id, active.user)

    async def _filter(self, name: str, value: object) -> None:
        self.error = self.message = ""
        try:
            user = self._require_user()
            require_help_desk(user, REFUSAL)
            feed = await self.get_state(HelpDeskFeed)
            chosen = {field: getattr(feed, field) for field in _FILTERS} | {name: as_text(value).strip()}
            with session_scope() as session:
                filters = help_desk_feeds.clean_filters(session, **chosen)
                rows = help_desk_feeds.queue_rows(session, user, filters, now=utc_now())
        except DomainError as exc:
            self.error = str(exc)
            return
        feed._show(filters, rows)  # every tab of this session shows the same filters and rows

    @rx.event
    async def set_status(self, value: str):
        await self._filter("status", value)

    @rx.event
    async def set_inquiry_type(self, value: str):
        await self._filter("inquiry_type", value)

    @rx.event
    async def set_provider(self, value: str):
        await self._filter("provider", value)

    @rx.event
    def take(self, pq_id: str):
        """Take a PQ; every open Help Desk page, this one included, shows it through the push."""
        self.error = self.message = ""
        number = parse_id(pq_id)
        if number is None:
            self.error = NO_SUCH_PQ
            return
        refusal = self._attempt(lambda session, user: pq.take_pq(session, user, number))
        if refusal is not None:
            self.error = str(refusal)
            return
        self.message = f"You took PQ {number}."
