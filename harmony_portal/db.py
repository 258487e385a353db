"""Engine and session helpers: the only place that opens database connections."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from sqlmodel import Session, create_engine

from harmony_portal.services.errors import DomainError, Refused
from harmony_portal.settings import get_settings, write_private_file

log = logging.getLogger(__name__)
_AFTER_COMMIT = "harmony_after_commit"


def on_commit(session: Session, effect: Callable[[], object]) -> None:
    """Run ``effect`` once this session's transaction has committed (never after a rollback).

    A change schedules its own consequences (live pushes, sign-outs reaching open
    tabs) here, so nobody is told about something that did not happen.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(effect)


def pending_effects(session: Session) -> int:
    """How many after-commit effects ``session`` holds (a savepoint rolled back drops those after it)."""
    return len(session.info.get(_AFTER_COMMIT, []))


def drop_effects_after(session: Session, count: int) -> None:
    """Forget the effects scheduled after the first ``count`` (their savepoint was rolled back)."""
    del session.info.setdefault(_AFTER_COMMIT, [])[count:]


def run_after_commit(session: Session) -> None:
    """Run what ``session``'s committed changes scheduled (for code that commits a plain Session)."""
    _run_after_commit(session)


def _run_after_commit(session: Session) -> None:
    effects = session.info.pop(_AFTER_COMMIT, [])
    for effect in effects:
        try:
            effect()
        except Exception:  # an effect must never undo or hide a committed change
            log.exception("after-commit effect failed")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # The file holds password hashes and sealed secrets: owner-only from creation
            # (SQLite gives its -wal and -shm files the same mode).
            write_private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured DATABASE_URL."""
    return make_engine(get_settings().sqlalchemy_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except DataError as error:
            # The services check every length and format first; should a value still slip
            # through, the user gets a sentence, not a stack trace.
            session.info.clear()  # a rolled-back change tells nobody
            session.rollback()
            log.warning("database refused a value: %s", type(error.orig).__name__)
            raise Refused("Something you entered is too long or not in the right form. "
                          "Check it and try again.") from error
        except DomainError as error:
            # A refusal that must still leave a trace (a failed sign-in counts
            # towards lockout and is audited) keeps its changes.
            if error.keeps_changes:
                session.commit()
                _run_after_commit(session)
            else:
                session.info.clear()  # a rolled-back change tells nobody
                session.rollback()
            raise
        except BaseException:
            session.info.clear()  # a rolled-back change tells nobody
            session.rollback()
            raise
        _run_after_commit(session)
