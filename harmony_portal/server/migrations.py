"""Apply Alembic migrations from code (start-up, CLI and tests use this).

Several workers or nodes may start at the same moment. On PostgreSQL the upgrade
runs under a session-level advisory lock with a fixed key, so exactly one process
migrates; the others wait for the lock, then find the schema at head and do nothing.
SQLite has one writer and one machine: it migrates as before, without a lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from alembic import command
from harmony_portal.db import make_engine
from harmony_portal.models.pq import PQ_SEARCH_VECTOR, PQ_SEARCH_VECTOR_INDEX
from harmony_portal.settings import PROJECT_ROOT, get_settings

log = logging.getLogger(__name__)

# Any fixed 64-bit number works as long as every process of the portal uses the same one
# and nothing else on the server does: these are the bytes of "HPmigrat".
MIGRATION_LOCK_KEY = int.from_bytes(b"HPmigrat", "big")
MIGRATE_HINT = "run: harmony-portal migrate"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the schema this code needs, and this command does not migrate."""


@dataclass(frozen=True)
class Upgraded:
    """What one upgrade call found and left: ``before`` is None on an empty database."""

    before: str | None
    after: str | None

    @property
    def migrated(self) -> bool:
        return self.before != self.after

# Schema the models don't describe on purpose: PostgreSQL's stored search column and its index
# (models/pq.py makes them with DDL). Comparisons and autogenerate leave them be.
_OUTSIDE_THE_MODELS = {("column", PQ_SEARCH_VECTOR), ("index", PQ_SEARCH_VECTOR_INDEX)}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object`` hook: skip what exists only outside the models."""
    table = getattr(obj, "table", None)
    return not (reflected and (type_, name) in _OUTSIDE_THE_MODELS and getattr(table, "name", None) == "pq")


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str | None = None) -> str | None:
    """The revision the database at ``url`` is at (None: no schema yet)."""
    # make_engine: a new SQLite file is created owner-only, as everywhere else.
    engine = make_engine(url or get_settings().sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


def _upgrade_unlocked(url: str) -> Upgraded:
    before = current_revision(url)
    command.upgrade(alembic_config(url), "head")
    return Upgraded(before, current_revision(url))


def upgrade(url: str | None = None) -> Upgraded:
    """Bring the database at ``url`` (default: DATABASE_URL) to the newest schema, once.

    On PostgreSQL, waits for any other process migrating the same database and then
    migrates only what is still missing (usually nothing).
    """
    url = url or get_settings().sqlalchemy_url
    if not _is_postgresql(url):
        return _upgrade_unlocked(url)
    # Its own connection, outside any transaction: the lock is held by this session until
    # unlocked or until the connection closes (a process that dies mid-way frees it).
    lock_engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with lock_engine.connect() as lock:
            params = {"key": MIGRATION_LOCK_KEY}
            if not lock.execute(text("SELECT pg_try_advisory_lock(:key)"), params).scalar():
                log.warning("another process is migrating this database; waiting for it to finish")
                lock.execute(text("SELECT pg_advisory_lock(:key)"), params)
            try:
                return _upgrade_unlocked(url)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), params)
    finally:
        lock_engine.dispose()


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def require_current(url: str | None = None, *, allow_newer: bool = False) -> None:
    """Refuse, saying what to run, when the database is not at this code's schema.

    For commands that do not migrate by themselves: better a clear sentence now than
    a missing-column error halfway through.

    Args:
        allow_newer: accept a schema newer than this code knows (with a warning): during a
            rolling deployment the nodes still on the old version keep running.

    Raises:
        SchemaOutOfDate: the schema is missing, older, or (unless allowed) unknown to this code.
    """
    url = url or get_settings().sqlalchemy_url
    head, current = head_revision(), current_revision(url)
    if current == head:
        return
    if current is None:
        raise SchemaOutOfDate(f"the database has no schema yet: {MIGRATE_HINT}")
    if current not in _known_revisions():
        message = (f"the database is at schema {current}, newer than this version of the portal knows "
                   f"({head}): run the newer version, or restore a matching backup")
        if allow_newer:
            log.warning("%s", message)
            return
        raise SchemaOutOfDate(message)
    raise SchemaOutOfDate(f"the database is at schema {current} but this version needs {head}: {MIGRATE_HINT}")


def check_schema_at_start() -> None:
    """Lifespan task: a worker started some other way than `serve` won't run on an older schema."""
    try:
        require_current(allow_newer=True)
    except SchemaOutOfDate as exc:
        log.critical("refusing to start: %s", exc)
        raise
