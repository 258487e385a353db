"""A counter and shared lists: Reflex's own cost for the load benchmark's mix.

Each client opens "/?org=N". The page's on_load bumps a counter and links the client to its
organization's ``OrgList`` (one shared token per organization), which holds ``BARE_ROWS`` rows
shaped like a Role Requests row. ``increment`` stands for an event that changes only its own
page; ``change_shared`` for one that changes what every client of the organization sees (a
request filed or decided): Reflex fans the change out to every linked client.

For the live benchmark a dashboard may instead open "/?feed=N": it links a ``Feed`` of its
own, and ``change_each`` writes the first ``count`` feeds one after another from the server,
which is how the portal pushes a new request to each official's session feed.
"""

import asyncio
import itertools
import os

import reflex as rx
from reflex.istate.manager.token import BaseStateToken

ROWS = int(os.environ.get("BARE_ROWS", "10"))
_serial = itertools.count(1)
_pushes: set[asyncio.Task] = set()


def _row(number: int, label: str = "") -> dict[str, str]:
    # The keys and the typical sizes of a Role Requests row (role_queries.pending_rows).
    return {"id": str(number), "first_name": "Req", "last_name": label or f"N{number}", "organization": "ORG7",
            "organization_name": "Benchmark Home 7", "role": "Staff", "requested": "Nov 25, 2026 10:00 AM",
            "justification": "Load benchmark request, please approve.", "user_id": str(number),
            "created": "2026-11-25T19:00:00.000000", "checklist": "", "checklist_steps": ""}


def _rows() -> list[dict[str, str]]:
    return [_row(next(_serial)) for _ in range(ROWS)]


class OrgList(rx.SharedState):
    rows: list[dict[str, str]] = []


class Feed(rx.SharedState):
    rows: list[dict[str, str]] = []


class Counter(rx.State):
    count: int = 0

    @rx.event
    async def load(self):
        self.count += 1
        query = self.router.url.query_parameters
        if "feed" in query:
            feed = await (await self.get_state(Feed))._link_to(f"feed{query['feed']}")
            if not feed.rows:
                feed.rows = _rows()
        else:
            shared = await (await self.get_state(OrgList))._link_to(f"org{query.get('org', '0')}")
            if not shared.rows:
                shared.rows = _rows()

    @rx.event
    def increment(self):
        self.count += 1

    @rx.event
    async def change_shared(self, label: str = ""):
        """Replace the oldest row of the organization's list with a new one."""
        self.count += 1
        shared = await self.get_state(OrgList)
        shared.rows = [*shared.rows[1:], _row(next(_serial), label)]

    @rx.event
    def change_each(self, label: str, count: int):
        """Write a new row into feeds 0..count-1, one after another, after this event (as the portal's push)."""
        self.count += 1
        task = asyncio.get_running_loop().create_task(_write_feeds(_row(next(_serial), label), int(count)))
        _pushes.add(task)
        task.add_done_callback(_pushes.discard)


async def _write_feeds(row: dict[str, str], count: int) -> None:
    for i in range(count):
        async with app.modify_state(BaseStateToken(ident=f"feed{i}", cls=Feed)) as root:
            feed = await root.get_state(Feed)
            feed.rows = [*feed.rows[1:], row]


def index() -> rx.Component:
    return rx.text(Counter.count)


app = rx.App()
app.add_page(index, route="/", on_load=Counter.load)
