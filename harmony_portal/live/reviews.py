"""Access Reviews pages, live: when rows of an organization are decided (or a review starts or finishes), every
official of it and the help desk get their rows again, straight to their open tabs (``tabs``), grouped by what
they see. As with the Role Requests queue, a push names only live sessions the server resolved."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.live import tabs
from harmony_portal.models import User
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.errors import DomainError
from harmony_portal.services.reviews.queries import waiting
from harmony_portal.services.roles.requests import administrator_ids, officials_by_org
from harmony_portal.services.signin import sessions

log = logging.getLogger(__name__)


class ReviewFeed(rx.State):
    """One tab's view of the review rows its user decides (handlers read the database, never this)."""

    rows: list[dict[str, str]] = []
    total: int = 0  # every row waiting for them (more than the rows shown when the first page is full)


def rows_of(session, user: User) -> dict[str, object]:
    """The feed's fields for ``user``: the rows shown and how many wait in all."""
    try:
        rows, total = waiting(session, user)
    except DomainError:  # held by the passkey policy: nothing to decide until they add one
        rows, total = [], 0
    return {"rows": rows, "total": total}


def review_groups(org_ids: Iterable[str]) -> tabs.Groups:
    """Each live session of each official of ``org_ids`` and of the help desk, with the rows they see."""
    with session_scope() as session:
        officials = {i for ids in officials_by_org(session, org_ids).values() for i in ids}
        told = officials | set(administrator_ids(session))
        live = sessions.live_session_ids(session, told)
        by_view: dict[tuple, tuple[list[int], dict[str, object]]] = {}
        for user in users_by_ids(session, set(live)):
            view = rows_of(session, user)
            seen = (view["total"], *(r["id"] for r in view["rows"]))
            by_view.setdefault(seen, ([], view))[0].extend(live[user.id])
    return [(ids, tabs.delta(ReviewFeed, **view)) for ids, view in by_view.values()]


async def push_reviews_changed(org_ids: Iterable[str]) -> None:
    groups = await asyncio.to_thread(review_groups, set(org_ids))
    pushed = await tabs.push(groups)
    log.info("live review rows pushed to %d sessions (%d tabs here)", sum(len(ids) for ids, _ in groups), pushed)
