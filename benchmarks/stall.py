"""Does a burst of sign-ins stall everyone else on the worker?

A sign-in runs argon2 (64 MiB, tens of milliseconds). Run inside an event
handler on the event loop, it stops every other socket of that worker for the
whole burst. This drives the real LoginState handler ``BURST`` times at once
on one event loop, beside a heartbeat that asks to wake every 5 ms, and
reports how late the heartbeat woke: the delay any other client's event would
have seen.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import statistics
import tempfile
import time

from benchmarks.common import summary

BURST = 10
HEARTBEAT_S = 0.005


async def _heartbeat(stop: asyncio.Event, lateness_ms: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(HEARTBEAT_S)
        lateness_ms.append((time.perf_counter() - asked - HEARTBEAT_S) * 1000)


async def _sign_in(user_id: str, password: str) -> None:
    from harmony_portal.state.login import LoginState
    from tests.state.conftest import state_with_cookie

    state = await state_with_cookie(LoginState, path="/login")
    result = LoginState.submit_password.fn(state, {"user_id": user_id, "password": password, "agree_terms": "on"})
    if inspect.isawaitable(result):
        await result
    assert state.step == "code", state.error  # the password was right: on to the second step


async def measure_stall(user_id: str, password: str, burst: int = BURST) -> dict:
    """Heartbeat lateness (ms) while ``burst`` sign-ins of ``user_id`` run at once."""
    stop, lateness = asyncio.Event(), []
    beat = asyncio.create_task(_heartbeat(stop, lateness))
    await asyncio.sleep(0.05)  # a few beats before the burst
    started = time.perf_counter()
    await asyncio.gather(*(_sign_in(user_id, password) for _ in range(burst)))
    burst_ms = (time.perf_counter() - started) * 1000
    stop.set()
    await beat
    return {"burst": burst, "burst_ms": round(burst_ms, 1), "heartbeat_lateness": summary(lateness),
            "worst_stall_ms": round(max(lateness), 1)}


def run(rounds: int = 5) -> dict:
    """``rounds`` bursts against a throwaway SQLite database; medians across rounds."""
    os.environ.setdefault("PYTEST_CURRENT_TEST", "benchmark")  # lets state classes be built directly
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='harmony-stall-')}/stall.db"
    from sqlmodel import SQLModel

    import harmony_portal.harmony_portal  # noqa: F401  (registers every state class)
    from harmony_portal.db import get_engine, session_scope
    from harmony_portal.services.signin import rate_limits
    from harmony_portal.settings import get_settings
    from tests import factories
    from tests.state.conftest import run_async

    get_settings.cache_clear()
    get_engine.cache_clear()
    SQLModel.metadata.create_all(get_engine())
    with session_scope() as session:
        factories.enrol(session, factories.user(session, "burst.user"))
    results = []
    for _ in range(rounds):
        rate_limits.reset()  # 10 x rounds sign-ins of one account would hit its hourly limit
        results.append(run_async(measure_stall("burst.user", factories.PASSWORD)))
    return {"burst": BURST, "rounds": rounds,
            "burst_ms_median": statistics.median(r["burst_ms"] for r in results),
            "worst_stall_ms_median": statistics.median(r["worst_stall_ms"] for r in results),
            "worst_stall_ms_each": [r["worst_stall_ms"] for r in results],
            "heartbeat_p95_ms_median": statistics.median(r["heartbeat_lateness"]["p95_ms"] for r in results)}
