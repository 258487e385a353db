"""State tests: handlers called directly, as a forged websocket event would call them."""

import asyncio
import concurrent.futures
import contextvars

import pytest
from reflex.state import State

import harmony_portal.harmony_portal  # noqa: F401  (registers every state class)
from harmony_portal.db import session_scope
from harmony_portal.services.sessions import start_session


@pytest.fixture
def signed_in(app_db):
    """signed_in(user) -> an async factory of that user's state instances."""

    def for_user(user):
        with session_scope() as session:
            token = start_session(session, user)

        async def state_of(cls):
            root = State()
            state = await root.get_state(cls)
            state.session_token = token
            return state

        return state_of

    return for_user


def run_async(coroutine):
    """Run a coroutine to completion on its own thread (Playwright's sync API may own this one's loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # Context variables (Reflex's app registration) do not cross threads by themselves.
        return pool.submit(contextvars.copy_context().run, asyncio.run, coroutine).result()
