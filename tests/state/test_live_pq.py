"""Open PQ pages follow their PQ; the tab whose own event changed it reloads itself and is left out."""

import asyncio

from harmony_portal.db import session_scope
from harmony_portal.live import pq_pages as live_pq
from harmony_portal.models import User
from harmony_portal.services.pq import filing as pq
from tests.state.conftest import run_async


def test_the_push_after_a_change_leaves_out_the_tab_that_made_it(app_db, make, monkeypatch):
    with session_scope() as s:
        org = make.org(s, "LP1")
        author = make.user(s, "lp.author")
        make.grant(s, author, org, "Staff")
        pq_id = make.pq(s, author, org).id
    asked: list[tuple[list[int], str | None]] = []

    async def recorded(pq_ids, *, skip=None):
        asked.append((pq_ids, skip))
        return 0

    monkeypatch.setattr(live_pq, "refresh", recorded)

    async def scenario():
        monkeypatch.setattr(live_pq, "_loop", asyncio.get_running_loop())

        def add_note(tab):
            with session_scope() as s:
                pq.add_note(s, s.get(User, author.id), pq_id, "General", "Pending", f"From {tab}")

        with live_pq.changed_here("tab-a"):  # the commit hook runs on a worker thread, as in the app
            await asyncio.to_thread(add_note, "tab a")
        await asyncio.to_thread(add_note, "elsewhere")
        await asyncio.sleep(0.05)

    run_async(scenario())
    assert asked == [([pq_id], "tab-a"), ([pq_id], None)]
