"""PostgreSQL's side: pg_dump / pg_restore when a suitable one is installed, and a clean target."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, make_url

from harmony_portal.backup.common import BackupError, quoted


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A connection string for the PostgreSQL tools, and the environment carrying the password.

    The password goes in PGPASSWORD, never on a command line other users can read with ps.
    """
    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return dsn, env


def _tool_major(tool: str) -> int | None:
    binary = shutil.which(tool)
    if binary is None:
        return None
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False, timeout=30)
    found = re.search(r"(\d+)(?:\.\d+)?", done.stdout)
    return int(found.group(1)) if found else None


def server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def pg_dump_usable(conn: Connection) -> bool:
    """pg_dump refuses servers newer than itself: then the JSON dump is used instead."""
    major = _tool_major("pg_dump")
    return major is not None and major >= server_major(conn)


def export_snapshot(conn: Connection) -> str:
    """Name the snapshot of ``conn``'s (REPEATABLE READ) transaction, so pg_dump reads the same one."""
    return conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {detail[-1] if detail else f'exit status {done.returncode}'}")


def pg_dump(url: str, snapshot: str, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed: install the PostgreSQL client tools, or back up "
                          "with the JSON table dump")
    dsn, env = libpq_target(url)
    # Custom format: compressed, and pg_restore can restore it into any empty database.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={dsn}"],
         env, "pg_dump")


def pg_restore(url: str, dump: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("this backup needs pg_restore: install the PostgreSQL client tools "
                          "(apt-get install postgresql-client) and run restore again")
    dsn, env = libpq_target(url)
    # One transaction: a restore that fails half-way leaves the database as empty as it was.
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={dsn}", str(dump)], env, "pg_restore")


def drop_tables(conn: Connection) -> None:
    """Drop every table (and the sequences they own): the restore brings its own schema."""
    metadata = MetaData()
    metadata.reflect(bind=conn)
    metadata.drop_all(bind=conn)


def reset_sequences(conn: Connection) -> None:
    """After rows were inserted with their ids, new rows must get ids after them."""
    for table in inspect(conn).get_table_names():
        for column in inspect(conn).get_columns(table):
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": quoted(conn, table), "c": column["name"]}).scalar()
            if sequence:  # names from the catalogue, quoted
                name, source = quoted(conn, column["name"]), quoted(conn, table)
                conn.execute(text(f"SELECT setval(:s, coalesce(max({name}), 1), max({name}) IS NOT NULL) "  # noqa: S608
                                  f"FROM {source}"), {"s": sequence})
