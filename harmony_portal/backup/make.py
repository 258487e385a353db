"""Make a backup: the database copy first, then the files its rows name, then the manifest."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from harmony_portal.backup import postgres
from harmony_portal.backup.common import (
    ATTACHMENTS,
    FORMAT,
    PG_DUMP_FILE,
    SQLITE_FILE,
    BackupError,
    copy_private,
    engine_kind,
    private_dir,
    schema_revision,
    sha256_of,
    storage_keys,
    table_counts,
    write_manifest,
)
from harmony_portal.backup.tables import dump_tables
from harmony_portal.settings import get_settings, write_private_file


def _portal_version() -> str:
    try:
        return version("harmony-portal")
    except PackageNotFoundError:
        return "unknown"


def _snapshot_facts(conn: Connection) -> dict:
    revision = schema_revision(conn)
    if revision is None:
        raise BackupError("the database has no portal schema (no Alembic revision): nothing to back up")
    return {"revision": revision, "counts": table_counts(conn), "keys": storage_keys(conn)}


def _sqlite_copy(url: str, folder: Path) -> tuple[dict, list[str]]:
    live = make_url(url).database
    if not live or live == ":memory:" or not Path(live).is_file():
        raise BackupError(f"no SQLite database at {live}: check DATABASE_URL")
    copy = folder / SQLITE_FILE
    write_private_file(copy)
    source, target = sqlite3.connect(live), sqlite3.connect(copy)
    try:
        source.backup(target)  # SQLite's online backup: one consistent snapshot, writers or not
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        source.close()
        target.close()
    engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with engine.connect() as conn:  # the facts come from the copy itself
            return _snapshot_facts(conn), [SQLITE_FILE]
    finally:
        engine.dispose()


def _postgres_copy(url: str, folder: Path, method: str) -> tuple[dict, list[str], str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():  # one snapshot for the counts, the file list and the dump
                facts = _snapshot_facts(conn)
                if method == "auto":
                    method = "pg_dump" if postgres.pg_dump_usable(conn) else "json"
                if method == "pg_dump":
                    postgres.pg_dump(url, postgres.export_snapshot(conn), folder / PG_DUMP_FILE)
                    files = [PG_DUMP_FILE]
                else:
                    files = dump_tables(conn, folder)
    finally:
        engine.dispose()
    return facts, files, method


def make_backup(target: Path, *, url: str | None = None, upload_dir: Path | None = None,
                method: str = "auto") -> dict:
    """Back up the database at ``url`` and the attachment store at ``upload_dir`` into the new folder ``target``.

    Args:
        method: PostgreSQL only: "pg_dump", "json", or "auto" (pg_dump when one at least as
            new as the server is installed).

    Returns:
        The manifest written.
    """
    settings = get_settings()
    url, upload_dir, target = url or settings.sqlalchemy_url, upload_dir or settings.upload_dir, Path(target)
    kind = engine_kind(url)
    existed = target.exists()
    private_dir(target, must_be_empty=True)
    try:
        if kind == "sqlite":
            (facts, db_files), method = _sqlite_copy(url, target), "sqlite-backup"
        else:
            facts, db_files, method = _postgres_copy(url, target, method)
        files = {name: sha256_of(target / name) for name in db_files}
        private_dir(target / ATTACHMENTS, must_be_empty=True)
        missing = []
        for key in facts["keys"]:
            stored = Path(upload_dir) / key
            if stored.is_file():
                files[f"{ATTACHMENTS}/{key}"] = copy_private(stored, target / ATTACHMENTS / key)
            else:
                missing.append(key)  # already broken in the portal: recorded, not invented
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "portal_version": _portal_version(),
            "schema_revision": facts["revision"],
            "database": {"engine": kind, "method": method},
            "counts": {"tables": facts["counts"], "attachments": len(facts["keys"]) - len(missing)},
            "missing_attachments": missing,
            "files": {name: {"sha256": digest, "size": (target / name).stat().st_size}
                      for name, digest in sorted(files.items())},
        }
        write_manifest(target, manifest)
        return manifest
    except BaseException:
        # No half backup left looking like a whole one.
        if existed:
            for child in target.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        else:
            shutil.rmtree(target, ignore_errors=True)
        raise
