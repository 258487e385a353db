"""What backup and restore share: the folder's layout, file hashing, the signed manifest."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from harmony_portal.services.security import keyed_name, keyed_names

FORMAT = "harmony-portal-backup/1"
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
SQLITE_FILE = "database.sqlite"
PG_DUMP_FILE = "database.pgdump"
TABLES_DIR = "tables"
ALEMBIC_TABLE = "alembic_version"
ATTACHMENT_TABLE = "attachment"
STORAGE_KEY = re.compile(r"[0-9a-f]{64}")  # the names the attachment store gives its files
_CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or restore that can't go ahead; the message says why and what to do."""


def engine_kind(url: str) -> str:
    if url.startswith("postgresql"):
        return "postgresql"
    if url.startswith("sqlite"):
        return "sqlite"
    raise BackupError("backup knows PostgreSQL and SQLite DATABASE_URLs only")


def private_dir(path: Path, *, must_be_empty: bool) -> Path:
    """Create ``path`` owner-only (it will hold password hashes and sealed secrets)."""
    if must_be_empty and path.exists() and any(path.iterdir()):
        raise BackupError(f"{path} is not empty: back up into a new folder")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_private(source: Path, target: Path) -> str:
    """Copy a file to a new owner-only file, renamed into place once whole; returns its SHA-256."""
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows in every table, by name (what the backup saw; what the restore must give back)."""
    names = sorted(inspect(conn).get_table_names())
    # Table names from the database's own catalogue, quoted: nothing here comes from a user.
    return {name: conn.execute(text(f"SELECT count(*) FROM {quoted(conn, name)}")).scalar_one()  # noqa: S608
            for name in names}


def schema_revision(conn: Connection) -> str | None:
    if ALEMBIC_TABLE not in inspect(conn).get_table_names():
        return None
    return conn.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()  # noqa: S608 - a constant


def storage_keys(conn: Connection) -> list[str]:
    """The stored files the database refers to, sorted."""
    if ATTACHMENT_TABLE not in inspect(conn).get_table_names():
        return []  # a schema from before attachments
    table = quoted(conn, ATTACHMENT_TABLE)
    rows = conn.execute(text(f"SELECT storage_key FROM {table} ORDER BY storage_key"))  # noqa: S608 - a constant
    return [key for (key,) in rows]


def has_rows(conn: Connection) -> bool:
    """Whether any table but Alembic's holds a row (a migrated, never-used database is empty)."""
    return any(count for name, count in table_counts(conn).items() if name != ALEMBIC_TABLE)


def _signable(manifest: dict) -> bytes:
    body = {key: value for key, value in manifest.items() if key != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(manifest: dict) -> dict:
    """The manifest with its signature: an HMAC under the secret key the attachments are encrypted with."""
    return {**manifest, "signature": keyed_name("backup-manifest", hashlib.sha256(_signable(manifest)).hexdigest())}


def signature_ok(manifest: dict) -> bool:
    """Signed under any configured key: a backup made before a key rotation still restores."""
    given = str(manifest.get("signature", ""))
    return any(hmac.compare_digest(expected, given)
               for expected in keyed_names("backup-manifest", hashlib.sha256(_signable(manifest)).hexdigest()))


def write_manifest(folder: Path, manifest: dict) -> None:
    fd = os.open(folder / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(sign(manifest), handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup folder, or the backup did not finish")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} can't be read: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} manifest")
    return manifest
