"""State tests: handlers called directly, as a forged websocket event would call them."""

import asyncio
import concurrent.futures
import contextvars
import uuid

import pytest
from reflex.state import State

import harmony_portal.harmony_portal  # noqa: F401  (registers every state class)
from harmony_portal.db import session_scope
from harmony_portal.server.session_cookie import SESSION_COOKIE
from harmony_portal.services.signin.sessions import start_session


def connect(root: State, cookie: str = "", path: str = "/", ip: str = "127.0.0.1") -> None:
    """Give ``root`` the router data of a websocket whose handshake carried ``cookie``."""
    root.router_data = root._update_router_vars(
        {"headers": {"cookie": cookie, "origin": "http://localhost:3000"}, "token": str(uuid.uuid4()),
         "sid": uuid.uuid4().hex, "ip": ip, "pathname": path, "asPath": path}, {})


async def state_with_cookie(cls, cookie: str = "", path: str = "/"):
    root = State()
    connect(root, cookie, path)
    return await root.get_state(cls)


@pytest.fixture(autouse=True)
def fresh_shared_states():
    """Each test's database numbers its sessions from 1 again: start with no feeds from an earlier test."""
    from reflex_base.registry import RegistrationContext

    manager = RegistrationContext.get().app.state_manager
    manager.states.clear()
    yield
    manager.states.clear()


@pytest.fixture(autouse=True)
def linked_tokens(monkeypatch):
    """Linking a shared state needs a real event's context (tests/e2e link for real): here each
    tab keeps its own copy of a feed, and the tokens it was linked to are recorded."""
    linked: list[str] = []

    async def stand_in(feed, token):
        linked.append(token)
        return feed

    monkeypatch.setattr("harmony_portal.live.help_desk._link", stand_in)
    return linked


@pytest.fixture
def signed_in(app_db):
    """signed_in(user, second_factor=True) -> an async factory of that user's state instances."""

    def for_user(user, *, second_factor: bool = True, path: str = "/"):
        with session_scope() as session:
            token = start_session(session, user, second_factor=second_factor)

        async def state_of(cls):
            return await state_with_cookie(cls, f"{SESSION_COOKIE}={token}", path)

        state_of.token = token
        return state_of

    return for_user


def run_async(coroutine):
    """Run a coroutine to completion on its own thread (Playwright's sync API may own this one's loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # Context variables (Reflex's app registration) do not cross threads by themselves.
        return pool.submit(contextvars.copy_context().run, asyncio.run, coroutine).result()



async def settle_pushes(timeout: float = 10.0) -> None:
    """Wait until the live pushes that commits scheduled on this loop have run (a busy machine is slow)."""
    from harmony_portal.live import scheduler

    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.01)  # let a just-scheduled push start
    deadline = loop.time() + timeout
    while any(t.get_loop() is loop for t in list(scheduler.pending)) and loop.time() < deadline:
        await asyncio.sleep(0.01)
