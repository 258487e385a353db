"""Backup and restore: the database and the encrypted attachment store, together, on both engines.

A portal with PQs and attachments is backed up, restored into a new database and an
empty store, and the restored portal must serve the same PQs and the same bytes,
read back through the services (decrypted).
"""

import io
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfWriter

from harmony_portal import db as db_module
from harmony_portal.backup import BackupError, make_backup, restore_backup
from harmony_portal.backup.common import sha256_of
from harmony_portal.db import make_engine, session_scope
from harmony_portal.models import WeeklyMaintenance
from harmony_portal.server import migrations
from harmony_portal.services.accounts import find
from harmony_portal.services.audit.trail import verify_chain
from harmony_portal.services.pq import attachments as pq_attachments
from harmony_portal.services.pq import detail
from harmony_portal.services.pq import file_store as attachments
from harmony_portal.services.pq import queries as pq_queries
from harmony_portal.services.pq.access import visible_attachment
from harmony_portal.settings import PROJECT_ROOT, get_settings
from tests import factories, pg


@dataclass
class Place:
    """Where one portal keeps its data: a database and an attachment store."""

    url: str
    store: Path


@contextmanager
def _serving(place: Place, monkeypatch):
    """Point the app's session_scope() and the attachment store at ``place``."""
    engine = make_engine(place.url)
    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    monkeypatch.setenv("HARMONY_UPLOAD_DIR", str(place.store))
    get_settings.cache_clear()
    try:
        yield
    finally:
        engine.dispose()
        get_settings.cache_clear()


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png(extra: int) -> bytes:
    """A PNG with ``extra`` random bytes after its header: several 256 KiB segments once encrypted."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + ihdr + secrets.token_bytes(extra)


def _fill(place: Place, monkeypatch) -> dict:
    """Two PQs with notes and attachments, made through the services; returns what to look for."""
    files = {"Access form.pdf": _pdf(2), "Scan of badge.png": _png(600_000)}
    with _serving(place, monkeypatch), session_scope() as s:
        # The real time is used: on a Sunday afternoon in Alaska the weekly window would refuse these saves.
        s.merge(WeeklyMaintenance(id=1, active=False))
        org = factories.org(s, "AK-NH-01", "Juneau Pioneer Home")
        owner = factories.user(s, "kaya.owner")
        factories.grant(s, owner, org, role="Staff")
        expected = {"owner": owner.user_id, "pqs": {}}
        for subject, name in zip(("Access for a new nurse", "Billing code question"), files, strict=True):
            pq = factories.pq(s, owner, org, subject=subject)
            note = factories.note(s, owner, pq, text=f"See the attached {name}.")
            with attachments.AttachmentWriter(name) as writer:
                writer.write(files[name])
                stored = writer.finish()
            [row] = pq_attachments.attach_files(s, owner, pq.id, note.id, [stored])
            expected["pqs"][pq.id] = {"subject": subject, "note": note.text,
                                      "attachments": {row.id: (stored.filename, files[name])}}
    return expected


def _what_the_portal_serves(place: Place, owner_user_id: str, monkeypatch) -> dict:
    """Everything the owner sees of their PQs, attachment bytes decrypted through the store."""
    seen = {}
    with _serving(place, monkeypatch), session_scope() as s:
        owner = find.find_user(s, owner_user_id)
        pqs, _total = pq_queries.list_pqs(s, owner)
        for pq in pqs:
            files = {}
            page = detail.pq_page(s, owner, pq.id)
            for row in page.attachments:
                found = visible_attachment(s, owner, row.id)
                files[row.id] = (found.filename, b"".join(attachments.open_plain(found.storage_key)))
            [note] = page.notes
            seen[pq.id] = {"subject": pq.subject, "note": note.text, "attachments": files}
        assert verify_chain(s) is None  # the audit log's hash chain came back whole
    return seen


def _pg_dump_usable(url: str) -> bool:
    from harmony_portal.backup import postgres

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return postgres.pg_dump_usable(conn)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-json"])
def two_places(request, tmp_path):
    """A migrated database to back up, an empty one to restore into, and a store for each."""
    kind = request.param
    if kind == "sqlite":
        source = f"sqlite:///{tmp_path}/portal.db"
        migrations.upgrade(source)
        yield kind, Place(source, tmp_path / "store"), Place(f"sqlite:///{tmp_path}/restored.db",
                                                             tmp_path / "restored-store")
        return
    request.getfixturevalue("pg_database_url")  # fails loudly (or is deselected) without PostgreSQL
    with pg.throwaway_database("harmony_test", migrations.upgrade) as source, \
            pg.throwaway_database("harmony_test", lambda _url: None) as target:
        yield kind, Place(source, tmp_path / "store"), Place(target, tmp_path / "restored-store")


def test_a_restored_portal_serves_the_same_pqs_and_attachment_bytes(two_places, tmp_path, monkeypatch):
    kind, live, fresh = two_places
    expected = _fill(live, monkeypatch)
    method = "json" if kind == "postgresql-json" else "auto"
    manifest = make_backup(tmp_path / "backup", url=live.url, upload_dir=live.store, method=method)

    assert manifest["schema_revision"] == migrations.head_revision()
    if kind == "postgresql":  # pg_dump where a new enough one is installed, else the JSON dump
        assert manifest["database"]["method"] == ("pg_dump" if _pg_dump_usable(live.url) else "json")
    else:
        assert manifest["database"]["method"] == {"sqlite": "sqlite-backup", "postgresql-json": "json"}[kind]
    counts = manifest["counts"]
    assert (counts["tables"]["pq"], counts["tables"]["attachment"], counts["attachments"]) == (2, 2, 2)
    for name, info in manifest["files"].items():
        assert sha256_of(tmp_path / "backup" / name) == info["sha256"]
    assert sum(name.startswith("attachments/") for name in manifest["files"]) == 2

    done = restore_backup(tmp_path / "backup", url=fresh.url, upload_dir=fresh.store)
    assert (done["attachments"], done["revision"], done["next_step"]) == (2, migrations.head_revision(), None)
    assert _what_the_portal_serves(fresh, expected["owner"], monkeypatch) == expected["pqs"]

    # Restoring again over it needs --force, and gives the same portal.
    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(tmp_path / "backup", url=fresh.url, upload_dir=fresh.store)
    restore_backup(tmp_path / "backup", url=fresh.url, upload_dir=fresh.store, force=True)
    assert _what_the_portal_serves(fresh, expected["owner"], monkeypatch) == expected["pqs"]

    # The restored portal goes on working: new rows get new ids (sequences follow the restored rows).
    with _serving(fresh, monkeypatch), session_scope() as s:
        owner = find.find_user(s, expected["owner"])
        org = factories.org(s, "AK-NH-02")
        factories.grant(s, owner, org, role="Staff")
        assert factories.pq(s, owner, org).id > max(expected["pqs"])


@pytest.fixture
def backed_up(tmp_path, monkeypatch):
    """A SQLite portal with PQs and its backup (the refusals are the same on both engines)."""
    live = Place(f"sqlite:///{tmp_path}/portal.db", tmp_path / "store")
    migrations.upgrade(live.url)
    expected = _fill(live, monkeypatch)
    make_backup(tmp_path / "backup", url=live.url, upload_dir=live.store)
    return live, tmp_path / "backup", expected


def test_restore_refuses_a_database_with_data_unless_forced(backed_up, tmp_path, monkeypatch):
    live, backup, expected = backed_up
    with pytest.raises(BackupError, match="already holds data: .* add --force"):
        restore_backup(backup, url=live.url, upload_dir=tmp_path / "empty-store")
    with pytest.raises(BackupError, match="already holds files: .* add --force"):
        restore_backup(backup, url=f"sqlite:///{tmp_path}/new.db", upload_dir=live.store)
    # Forced over a portal that moved on: the database and the store become the backup's.
    with _serving(live, monkeypatch), session_scope() as s:
        owner, org = find.find_user(s, expected["owner"]), factories.org(s, "AK-NH-09")
        factories.grant(s, owner, org, role="Staff")
        factories.pq(s, owner, org)
    (live.store / ("f" * 64)).write_bytes(b"a file the backup does not know")
    restore_backup(backup, url=live.url, upload_dir=live.store, force=True)
    assert _what_the_portal_serves(live, expected["owner"], monkeypatch) == expected["pqs"]
    assert not (live.store / ("f" * 64)).exists()


def test_a_migrated_but_unused_database_counts_as_empty(backed_up, tmp_path, monkeypatch):
    _live, backup, expected = backed_up
    fresh = Place(f"sqlite:///{tmp_path}/migrated.db", tmp_path / "fresh-store")
    migrations.upgrade(fresh.url)  # an operator ran `harmony-portal migrate` first
    restore_backup(backup, url=fresh.url, upload_dir=fresh.store)
    assert _what_the_portal_serves(fresh, expected["owner"], monkeypatch) == expected["pqs"]


@pytest.mark.parametrize("damage", ["attachment", "database", "manifest"])
def test_restore_refuses_a_damaged_backup_and_writes_nothing(backed_up, tmp_path, damage):
    _live, backup, _expected = backed_up
    manifest = json.loads((backup / "manifest.json").read_text())
    if damage == "attachment":
        victim = backup / next(name for name in manifest["files"] if name.startswith("attachments/"))
        victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
        says = "does not match its SHA-256"
    elif damage == "database":
        with open(backup / "database.sqlite", "ab") as handle:
            handle.write(b"\x00")
        says = "does not match its SHA-256"
    else:
        manifest["counts"]["tables"]["pq"] = 5
        (backup / "manifest.json").write_text(json.dumps(manifest))
        says = "not signed with this HARMONY_SECRET_KEY"
    fresh = Place(f"sqlite:///{tmp_path}/new.db", tmp_path / "new-store")
    with pytest.raises(BackupError, match=says):
        restore_backup(backup, url=fresh.url, upload_dir=fresh.store)
    assert not Path(fresh.url.split("///")[1]).exists() and not fresh.store.exists()


def test_restore_with_another_secret_key_is_refused(backed_up, tmp_path, monkeypatch):
    _live, backup, _expected = backed_up
    monkeypatch.setenv("HARMONY_SECRET_KEY", "another-key-" + "x" * 40)
    get_settings.cache_clear()
    try:
        with pytest.raises(BackupError, match="made with another key"):
            restore_backup(backup, url=f"sqlite:///{tmp_path}/new.db", upload_dir=tmp_path / "new-store")
    finally:
        get_settings.cache_clear()


def test_backup_wants_a_new_or_empty_folder(backed_up, tmp_path):
    live, backup, _expected = backed_up
    with pytest.raises(BackupError, match="not empty"):
        make_backup(backup, url=live.url, upload_dir=live.store)


def test_the_command_line_backs_up_and_restores(backed_up, tmp_path):
    live, _backup, _expected = backed_up
    cli = str(Path(sys.executable).with_name("harmony-portal"))

    def run(*args, url=live.url, store=live.store):
        env = {**os.environ, "DATABASE_URL": url, "HARMONY_UPLOAD_DIR": str(store), "PYTHONPATH": str(PROJECT_ROOT)}
        return subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=120)

    made = run("backup", "--to", str(tmp_path / "nightly"))
    assert made.returncode == 0, made.stderr
    assert "and 2 attachments" in made.stdout and "sqlite-backup" in made.stdout
    assert (tmp_path / "nightly").stat().st_mode & 0o777 == 0o700
    refused = run("restore", "--from", str(tmp_path / "nightly"))
    said = [line for line in refused.stderr.splitlines() if not line.startswith("database: ")]
    assert refused.returncode == 2 and len(said) == 1 and "--force" in said[0]
    new_url, new_store = f"sqlite:///{tmp_path}/cli-restored.db", tmp_path / "cli-store"
    restored = run("restore", "--from", str(tmp_path / "nightly"), url=new_url, store=new_store)
    assert restored.returncode == 0, restored.stderr
    assert "and 2 attachments" in restored.stdout
    assert sorted(p.name for p in new_store.iterdir()) == sorted(p.name for p in live.store.iterdir()
                                                                  if p.is_file())
    shutil.rmtree(tmp_path / "nightly")
