"""Data at scale: a whole portal's worth of rows, made inside PostgreSQL in a few minutes.

At ``BENCH_SCALE=1`` (the default): 100,000 users (10 of them the help desk), 10,000
organizations of the four provider types, every user but the help desk holding 1-3 roles
(about 190,000 grants; one Security Official per organization, 5% of organizations with
none, so the help desk decides for them), 50,000 role requests (10,000 pending), 1,000,000 PQs over
two years with about 2,000,000 notes and 200,000 attachments' metadata, 5,000,000 audit
rows over six years (a PQ's own rows among them, so its history is real), 1,000,000
in-app notifications. ``BENCH_SCALE=0.01`` makes a hundredth of each (for a quick run).

Every table is filled by one ``INSERT ... SELECT`` over ``generate_series`` (names drawn
from small lists, text from a word list and ``md5``), never through the ORM: a million rows
through Python would take longer than the whole fill. Secondary indexes are dropped for the
load and rebuilt from their own definitions afterwards, and foreign-key triggers are off
for the load (``session_replication_role = replica``: a superuser setting; the rows are
consistent by construction), then VACUUM ANALYZE.

Not real: passwords (``password_hash`` is "x": nobody signs in with a password), and the
audit rows' hashes are random, so they do NOT form a valid hash chain (``audit.verify``
would report the first row broken); the chain is not what is measured here.

Importable: ``fill(url)`` fills an already migrated, empty database and returns what it
made. ``python -m benchmarks scale`` fills a throwaway database and measures every page's
reads (``benchmarks/scale_pages.py``); ``BENCH_SCALE_URL`` names a database to reuse
(brought to the newest migration and filled only if it has no users yet), which is how a
fix is measured before and after on the same data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from sqlalchemy import text

from benchmarks import scale_sql
from benchmarks.common import postgres_database, write_results
from harmony_portal.db import make_engine
from harmony_portal.server.migrations import upgrade

# Tables whose secondary indexes are rebuilt after the load, biggest first.
LOADED_TABLES = ("auditevent", "pqnote", "pq", "notification", "orgrole", "attachment", "user", "rolerequest")


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind; ``at(scale)`` scales the full-size numbers."""

    users: int
    organizations: int
    pqs: int
    audit_rows: int
    pending_requests: int
    decided_requests: int
    notifications: int
    admins: int = 10

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(full: int, least: int) -> int:
            return max(least, round(full * scale))

        orgs = n(10_000, 40)
        # Every organization's first Security Official is a user of their own, so there are
        # always more users than organizations (plus the help desk and some staff).
        return cls(users=max(n(100_000, 200), orgs * 2 + 10), organizations=orgs, pqs=n(1_000_000, 500),
                   audit_rows=n(5_000_000, 2_500), pending_requests=n(10_000, 40), decided_requests=n(40_000, 120),
                   notifications=n(1_000_000, 500))


def scale() -> float:
    return float(os.environ.get("BENCH_SCALE", 1))


def _secondary_indexes(conn) -> list[tuple[str, str]]:
    """(name, definition) of every index on the loaded tables that no constraint owns."""
    return conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conindid = to_regclass(quote_ident(i.indexname)))"), {"tables": list(LOADED_TABLES)}).all()


def fill(url: str, sizes: Sizes | None = None) -> dict:
    """Fill the migrated, empty database at ``url``; returns the sizes, counts and seconds per step."""
    sizes = sizes or Sizes.at(scale())
    engine = make_engine(url)
    took: dict[str, float] = {}
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET session_replication_role = replica")  # no FK triggers for the load
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            conn.exec_driver_sql("SET work_mem = '256MB'")
            indexes = _secondary_indexes(conn)
            for name, _ in indexes:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
            params = scale_sql.parameters(sizes)
            for step, statement in scale_sql.STEPS:
                started = time.perf_counter()
                conn.execute(text(statement), params)
                took[step] = round(time.perf_counter() - started, 1)
                print(f"  {step}: {took[step]} s", flush=True)
            started = time.perf_counter()
            for _, definition in indexes:
                conn.exec_driver_sql(definition)
            took["indexes"] = round(time.perf_counter() - started, 1)
            conn.exec_driver_sql("SET session_replication_role = origin")
            conn.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            started = time.perf_counter()
            conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does to tables this size soon after
            took["vacuum_analyze"] = round(time.perf_counter() - started, 1)
            counts = {table: conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar()  # noqa: S608
                      for table in (*LOADED_TABLES, "organization", "onboardingchecklist")}
            size = conn.exec_driver_sql("SELECT pg_size_pretty(pg_database_size(current_database()))").scalar()
    finally:
        engine.dispose()
    return {"scale": scale(), "sizes": asdict(sizes), "rows": counts, "database_size": size, "seconds": took,
            "total_s": round(sum(took.values()), 1)}


def is_filled(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.exec_driver_sql('SELECT EXISTS (SELECT 1 FROM "user")').scalar())
    finally:
        engine.dispose()


@contextmanager
def database() -> Iterator[tuple[str, dict]]:
    """A filled database and what the fill did: ``BENCH_SCALE_URL``'s (reused), or a throwaway one."""
    if url := os.environ.get("BENCH_SCALE_URL"):
        upgrade(url)
        yield url, (fill(url) if not is_filled(url) else {"reused": True})
        return
    with postgres_database() as url:
        yield url, fill(url)


def run() -> dict:
    from benchmarks import scale_pages

    with database() as (url, data):
        print(f"data: {data}", flush=True)
        return {"data": data, **scale_pages.measure(url)}


if __name__ == "__main__":
    write_results("scale", run())
