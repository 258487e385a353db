"""Throwaway PostgreSQL databases, for the test suite and the benchmarks alike.

``TEST_POSTGRES_URL`` names the server's maintenance database (the default is a local
``postgres`` superuser); each throwaway database is created beside it and dropped with
``FORCE`` afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_answers: dict[str, bool] = {}


def admin_url() -> str:
    """The maintenance database throwaway databases are created from."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def _answers_at(url: str) -> bool:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _try_start_local_cluster() -> None:
    """CI's machine runs PostgreSQL; a stopped local cluster is started once."""
    if shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql"):
        for version in os.listdir("/etc/postgresql"):
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                           capture_output=True, check=False, timeout=60)


def available() -> bool:
    """Whether the server answers (a stopped local cluster is started first). Asked once."""
    url = admin_url()
    if url not in _answers:
        ok = _answers_at(url)
        if not ok:
            _try_start_local_cluster()
            ok = _answers_at(url)
        _answers[url] = ok
    return _answers[url]


@contextmanager
def throwaway_database(prefix: str, prepare: Callable[[str], None]) -> Iterator[str]:
    """Create an empty database, ``prepare(url)`` it (create the schema), yield its URL, drop it.

    Args:
        prefix: the start of the database's name (``harmony_test``, ``harmony_bench``).
        prepare: builds the schema, e.g. ``migrations.upgrade`` or ``metadata.create_all``.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url().rsplit("/", 1)[0] + f"/{name}"
    try:
        prepare(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
