"""The one place that pushes changes to other connected users.

Each Security Official's Role Requests pages link to a shared feed whose token
is that official's own ("officials<user id>"), so the feed only ever holds rows
that official may see. When requests of an organization change, the new rows
are computed once and written into the feed of every official who decides
there; Reflex sends the change to every linked page, on any worker (state
lives in Redis when REDIS_URL is set).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext
from sqlmodel import col, select

from harmony_portal.db import session_scope
from harmony_portal.models import User
from harmony_portal.services.role_queries import pending_rows
from harmony_portal.services.roles import decider_ids, represented_org_ids

log = logging.getLogger(__name__)
_PENDING_PUSHES: set[asyncio.Task] = set()


def feed_token(user_id: int) -> str:
    return f"officials{user_id}"  # SharedState tokens may not contain "_"


def _in_queue_order(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(rows, key=lambda r: (r["created"], int(r["id"])))


def merge_rows(current: list[dict[str, str]], fresh_by_org: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    """``current`` with the rows of the organizations in ``fresh_by_org`` replaced."""
    kept = [r for r in current if r["organization"] not in fresh_by_org]
    return _in_queue_order(kept + [r for rows in fresh_by_org.values() for r in rows])


class QueueFeed(rx.SharedState):
    """One official's pending requests, oldest first, shared by all of that official's open pages.

    One list and nothing derived from it: every change is sent to every linked page.
    """

    rows: list[dict[str, str]] = []

    def row_ids(self) -> list[str]:
        return [r["id"] for r in self.rows]


def rows_for(user: User) -> list[dict[str, str]]:
    """Everything ``user`` may decide now."""
    with session_scope() as session:
        return pending_rows(session, represented_org_ids(session, user), exclude_user_id=user.id)


async def _write_feed(user_id: int, update) -> None:
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=feed_token(user_id), cls=QueueFeed)) as root:
        feed = await root.get_state(QueueFeed)
        feed.rows = update(list(feed.rows))


def queue_changed(org_ids: Iterable[str], *, also_user_ids: Iterable[int] = ()) -> asyncio.Task:
    """Schedule :func:`push_queue_changed` to run after the calling event handler.

    The push must not run inside the handler: the handler holds the lock on its
    own client's state, linked feed included, and writing that feed through the
    state manager would wait for the lock it holds.
    """
    task = asyncio.get_running_loop().create_task(push_queue_changed(set(org_ids),
                                                                     also_user_ids=list(also_user_ids)))
    _PENDING_PUSHES.add(task)
    task.add_done_callback(_PENDING_PUSHES.discard)
    return task


async def push_queue_changed(org_ids: Iterable[str], *, also_user_ids: Iterable[int] = ()) -> None:
    """Requests of ``org_ids`` changed: refresh every deciding official's feed.

    ``also_user_ids`` are officials whose set of organizations may have changed
    (a role granted or removed); their feed is rebuilt from scratch.
    """
    started = time.perf_counter()
    org_ids = set(org_ids)
    targets: dict[int, set[str]] = {}
    with session_scope() as session:
        org_rows = {org: pending_rows(session, [org]) for org in org_ids}
        for org in org_ids:
            for uid in decider_ids(session, org):
                targets.setdefault(uid, set()).add(org)
        rebuild = list(session.exec(select(User).where(col(User.id).in_(set(also_user_ids)))))
    for uid, orgs in targets.items():
        def patch(current, orgs=orgs, uid=uid):
            return merge_rows(current, {org: [r for r in org_rows[org] if r["user_id"] != str(uid)] for org in orgs})
        try:
            await _write_feed(uid, patch)
        except Exception:  # a live push must never undo a committed change
            log.exception("could not update the live queue of user %s", uid)
    log.info("live queue pushed to %d officials in %.1f ms", len(targets), (time.perf_counter() - started) * 1000)
    for user in rebuild:
        fresh = rows_for(user)
        try:
            await _write_feed(user.id, lambda _current, fresh=fresh: fresh)
        except Exception:
            log.exception("could not rebuild the live queue of user %s", user.id)
