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
from harmony_portal.services.reviews.queries import rows_for
from harmony_portal.services.roles.requests import administrator_ids, officials_by_org
from harmony_portal.services.signin import sessions

log = logging.getLogger(__name__)


class ReviewFeed(rx.State):
    """One tab's view of the review rows its user decides (handlers read the database, never this)."""

    rows: list[dict[str, str]] = []


def rows_of(session, user: User) -> list[dict[str, str]]:
    try:
        return rows_for(session, user)
    except DomainError:  # held by the passkey policy: nothing to decide until they add one
        return []


def review_groups(org_ids: Iterable[str]) -> tabs.Groups:
    """Each live session of each official of ``org_ids`` and of the help desk, with the rows they see."""
    with session_scope() as session:
        officials = {i for ids in officials_by_org(session, org_ids).values() for i in ids}
        told = officials | set(administrator_ids(session))
        live = sessions.live_session_ids(session, told)
        by_rows: dict[tuple[str, ...], tuple[list[int], list[dict[str, str]]]] = {}
        for user in users_by_ids(session, set(live)):
            rows = rows_of(session, user)
            by_rows.setdefault(tuple(r["id"] for r in rows), ([], rows))[0].extend(live[user.id])
    return [(ids, tabs.delta(ReviewFeed, rows=rows)) for ids, rows in by_rows.values()]


async def push_reviews_changed(org_ids: Iterable[str]) -> None:
    groups = await asyncio.to_thread(review_groups, set(org_ids))
    pushed = await tabs.push(groups)
    log.info("live review rows pushed to %d sessions (%d tabs here)", sum(len(ids) for ids, _ in groups), pushed)
