"""Shared helpers: timing statistics, a throwaway PostgreSQL database, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from harmony_portal.server.migrations import upgrade
from tests import pg

RESULTS = Path(__file__).parent / "results"


def summary(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "min_ms": round(ordered[0], 2), "max_ms": round(ordered[-1], 2)}


def time_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def postgres_database() -> AbstractContextManager[str]:
    """A migrated, empty PostgreSQL database, dropped afterwards."""
    return pg.throwaway_database("harmony_bench", upgrade)


@contextmanager
def seeded_or_fresh_database(env_var: str) -> Iterator[str]:
    """The database ``env_var`` names (already seeded; brought to the newest schema), else a fresh one."""
    if url := os.environ.get(env_var):
        upgrade(url)
        yield url
        return
    with postgres_database() as url:
        yield url


@contextmanager
def captured(engine) -> Iterator[list[tuple[str, object]]]:
    """The statements (and parameters) the engine runs inside the block."""
    seen: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        return platform.processor()


def machine_info() -> dict:
    """What the numbers were measured on: the shared 2-core machine is not a server."""
    info = {"cpus": os.cpu_count(), "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu_model": _cpu_model(), "python": platform.python_version(),
            "platform": platform.platform(), "date": datetime.now(UTC).isoformat(timespec="seconds")}
    if hasattr(os, "getloadavg"):
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    return info


def write_results(name: str, results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {"benchmark": name, "at": stamp, "machine": machine_info(), "results": results}
    path = RESULTS / f"{stamp}-{name}.json"
    path.write_text(json.dumps(payload, indent=2))
    print(json.dumps(payload["results"], indent=2))
    return path
