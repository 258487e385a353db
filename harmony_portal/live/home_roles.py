"""Home's "My roles", live: when a person's roles change (granted, ended by date, removed, given a new end
date), their open Home tabs get the table again, straight to the socket (``tabs``, Home's tabs only)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from harmony_portal.db import session_scope
from harmony_portal.live import tabs
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.roles.queries import my_roles
from harmony_portal.services.signin import sessions

_roles_state: type | None = None  # the state whose ``my_roles`` Home shows (registered by it)


def shows_my_roles(state_cls: type) -> type:
    """Class decorator for Home's state; it imports this package, so it names itself here."""
    global _roles_state
    _roles_state = state_cls
    return state_cls


def role_groups(user_ids: Iterable[int]) -> tabs.Groups:
    """Each live session of these people, with their roles as Home lists them."""
    with session_scope() as session:
        live = sessions.live_session_ids(session, set(user_ids))
        return [(live[user.id], tabs.delta(_roles_state, my_roles=my_roles(session, user)))
                for user in users_by_ids(session, set(live))]


async def push_roles_changed(user_ids: Iterable[int]) -> None:
    if _roles_state is None:
        return
    groups = await asyncio.to_thread(role_groups, set(user_ids))
    await tabs.push(groups, listing_only=True)
