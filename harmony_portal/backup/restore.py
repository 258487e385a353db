"""Restore a backup: check everything first, then the files, then the database, then count."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from alembic import command
from harmony_portal.backup import postgres
from harmony_portal.backup.common import (
    ATTACHMENTS,
    PG_DUMP_FILE,
    SQLITE_FILE,
    STORAGE_KEY,
    BackupError,
    copy_private,
    engine_kind,
    has_rows,
    private_dir,
    read_manifest,
    schema_revision,
    sha256_of,
    signature_ok,
    table_counts,
)
from harmony_portal.backup.tables import load_tables
from harmony_portal.server.migrations import MIGRATE_HINT, alembic_config, head_revision
from harmony_portal.settings import get_settings, write_private_file

# The only names a backup folder may list: nothing in a manifest can point outside the folder.
_ALLOWED = re.compile(rf"({re.escape(SQLITE_FILE)}|{re.escape(PG_DUMP_FILE)}|tables/[A-Za-z0-9_]+\.jsonl"
                      rf"|{ATTACHMENTS}/[0-9a-f]{{64}})")


def _check_files(source: Path, manifest: dict) -> None:
    if not signature_ok(manifest):
        raise BackupError("manifest.json is not signed with this HARMONY_SECRET_KEY: the backup was made with "
                          "another key (its attachments and two-factor secrets would be unreadable) or was "
                          "altered; restore with the key the backup was made with")
    for name, info in manifest["files"].items():
        path = source / name
        if not _ALLOWED.fullmatch(name):
            raise BackupError(f"manifest.json lists {name!r}, which no backup contains")
        if not path.is_file() or path.stat().st_size != info["size"] or sha256_of(path) != info["sha256"]:
            raise BackupError(f"{name} is missing or does not match its SHA-256 in manifest.json: "
                              "the backup is damaged; restore another one")


def _check_revision(revision: str) -> None:
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        raise BackupError(f"the backup's schema {revision} is newer than this version of the portal knows "
                          f"({head_revision()}): restore with the version the backup was made with")


def _engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


def _database_has_data(url: str) -> bool:
    if engine_kind(url) == "sqlite":
        path = make_url(url).database
        if not path or not Path(path).is_file() or Path(path).stat().st_size == 0:
            return False
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return has_rows(conn)
    finally:
        engine.dispose()


def _stored_keys(upload_dir: Path) -> set[str]:
    if not upload_dir.is_dir():
        return set()
    return {p.name for p in upload_dir.iterdir() if p.is_file() and STORAGE_KEY.fullmatch(p.name)}


def _restore_files(source: Path, manifest: dict, upload_dir: Path) -> int:
    wanted = [name.split("/", 1)[1] for name in manifest["files"] if name.startswith(f"{ATTACHMENTS}/")]
    private_dir(upload_dir, must_be_empty=False)
    for key in _stored_keys(upload_dir) - set(wanted):
        (upload_dir / key).unlink()  # --force: the store becomes the backup's, as the database does
    for key in wanted:
        copy_private(source / ATTACHMENTS / key, upload_dir / key)
    return len(wanted)


def _restore_sqlite(source: Path, url: str) -> None:
    path = Path(make_url(url).database)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private_file(path)  # a new database file is owner-only, as the portal makes them
    backup = sqlite3.connect(f"file:{source / SQLITE_FILE}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        backup.backup(target)  # replaces the whole database, pages and schema
    finally:
        backup.close()
        target.close()


def _restore_postgresql(source: Path, manifest: dict, url: str) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            postgres.drop_tables(conn)  # empty (or --force): the backup brings its own schema
        if manifest["database"]["method"] == "pg_dump":
            postgres.pg_restore(url, source / PG_DUMP_FILE)
            return
        command.upgrade(alembic_config(url), manifest["schema_revision"])  # the dump's own schema
        with engine.begin() as conn:
            load_tables(conn, source)
            postgres.reset_sequences(conn)
    finally:
        engine.dispose()


def _check_counts(url: str, manifest: dict) -> str | None:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            counts, revision = table_counts(conn), schema_revision(conn)
    finally:
        engine.dispose()
    for table, expected in manifest["counts"]["tables"].items():
        if counts.get(table) != expected:
            raise BackupError(f"after the restore table {table} has {counts.get(table)} rows, the backup "
                              f"{expected}: the restore is incomplete; run it again with --force")
    return revision


def restore_backup(source: Path, *, url: str | None = None, upload_dir: Path | None = None,
                   force: bool = False) -> dict:
    """Restore the backup in ``source`` into the database at ``url`` and the store at ``upload_dir``.

    Everything is checked before anything is written: the manifest's signature, every file's
    SHA-256, the schema revision, and that the targets are empty (unless ``force``).

    Returns:
        What was restored, and a next step when the schema is older than this code's.
    """
    settings = get_settings()
    url, upload_dir, source = url or settings.sqlalchemy_url, Path(upload_dir or settings.upload_dir), Path(source)
    manifest = read_manifest(source)
    _check_files(source, manifest)
    kind = engine_kind(url)
    if manifest["database"]["engine"] != kind:
        raise BackupError(f"this is a {manifest['database']['engine']} backup and DATABASE_URL is {kind}: "
                          f"restore into a {manifest['database']['engine']} database")
    _check_revision(manifest["schema_revision"])
    if not force and _database_has_data(url):
        raise BackupError("the database at DATABASE_URL already holds data: restore into an empty database, "
                          "or add --force to replace everything in it")
    if not force and _stored_keys(upload_dir):
        raise BackupError(f"the attachment store {upload_dir} already holds files: restore into an empty "
                          "HARMONY_UPLOAD_DIR, or add --force to replace them")
    # Files before rows: should the database part fail, no row points at a missing file.
    attachments = _restore_files(source, manifest, upload_dir)
    if kind == "sqlite":
        _restore_sqlite(source, url)
    else:
        _restore_postgresql(source, manifest, url)
    revision = _check_counts(url, manifest)
    rows = sum(count for count in manifest["counts"]["tables"].values())
    next_step = None if revision == head_revision() else MIGRATE_HINT
    return {"revision": revision, "tables": len(manifest["counts"]["tables"]), "rows": rows,
            "attachments": attachments, "next_step": next_step}
