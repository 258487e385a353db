"""Migrations run once per deployment: several processes starting at once migrate once."""

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from harmony_portal.models import Organization, User
from harmony_portal.server import migrations
from harmony_portal.settings import PROJECT_ROOT
from tests import pg

_UPGRADE = ("import sys; from harmony_portal.server.migrations import upgrade; "
            "done = upgrade(sys.argv[1]); print(done.before, done.after, flush=True)")


@pytest.fixture
def empty_pg_url(pg_database_url):
    """A new, empty PostgreSQL database (asking for pg_database_url: deselected loudly without a server)."""
    with pg.throwaway_database("harmony_test", lambda _url: None) as url:
        yield url


def _waiting_for_lock(conn, database: str) -> int:
    return conn.execute(text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = :name"), {"name": database}).scalar()


def test_processes_starting_together_migrate_once_and_all_succeed(empty_pg_url):
    database = make_url(empty_pg_url).database
    holder_engine = create_engine(empty_pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    with holder_engine.connect() as holder:
        # Hold the lock ourselves so that both processes are surely waiting at the same moment.
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrations.MIGRATION_LOCK_KEY})
        workers = [subprocess.Popen([sys.executable, "-c", _UPGRADE, empty_pg_url], cwd=PROJECT_ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        try:
            deadline = time.monotonic() + 60
            while _waiting_for_lock(holder, database) < 2:
                assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
                assert time.monotonic() < deadline, "the processes never waited for the migration lock"
                time.sleep(0.1)
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrations.MIGRATION_LOCK_KEY})
        results = [w.communicate(timeout=120) for w in workers]
    holder_engine.dispose()
    assert [w.returncode for w in workers] == [0, 0], results
    head = migrations.head_revision()
    reports = sorted(out.split() for out, _err in results)
    # One migrated the empty database to head; the other found nothing left to do.
    assert reports == sorted([["None", head], [head, head]])
    assert any("waiting" in err for _out, err in results)
    assert migrations.current_revision(empty_pg_url) == head


def test_sqlite_migrates_without_a_lock_as_before(tmp_path):
    url = f"sqlite:///{tmp_path}/portal.db"
    first, again = migrations.upgrade(url), migrations.upgrade(url)
    assert first.before is None and first.after == migrations.head_revision() and first.migrated
    assert not again.migrated


def test_a_command_that_does_not_migrate_says_what_to_run(tmp_path):
    url = f"sqlite:///{tmp_path}/portal.db"
    with pytest.raises(migrations.SchemaOutOfDate, match=r"no schema yet: run: harmony-portal migrate$"):
        migrations.require_current(url)
    from alembic import command

    command.upgrade(migrations.alembic_config(url), "0009")
    with pytest.raises(migrations.SchemaOutOfDate, match=r"at schema 0009.*run: harmony-portal migrate$"):
        migrations.require_current(url)
    migrations.upgrade(url)
    migrations.require_current(url)


def test_a_worker_starts_on_a_newer_schema_but_not_on_an_older_one(tmp_path, monkeypatch, caplog):
    """A rolling deployment: nodes still on the old version keep running after the new one migrated."""
    from harmony_portal.settings import get_settings

    url = f"sqlite:///{tmp_path}/portal.db"
    migrations.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    engine = create_engine(url)
    try:
        migrations.check_schema_at_start()
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        migrations.check_schema_at_start()
        assert "newer than this version of the portal knows" in caplog.text
        with pytest.raises(migrations.SchemaOutOfDate, match="newer"):
            migrations.require_current(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
        with pytest.raises(migrations.SchemaOutOfDate, match="run: harmony-portal migrate"):
            migrations.check_schema_at_start()
    finally:
        engine.dispose()
        get_settings.cache_clear()


_USER_COLUMNS_AFTER_0016 = {"passkey_prompted_at", "passkey_user_handle"}  # 0021


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0017_keeps_the_oldest_of_duplicate_pending_requests_and_then_refuses_another(backend, tmp_path, request):
    from alembic import command

    url = f"sqlite:///{tmp_path}/portal.db" if backend == "sqlite" else request.getfixturevalue("empty_pg_url")
    command.upgrade(migrations.alembic_config(url), "0016")
    engine = create_engine(make_url(url), poolclass=NullPool)
    with Session(engine) as session:  # users and organizations at 0016 are the models'; requests gained a column
        session.add(Organization(id="A1", name="Aurora Care", provider_type="Nursing Home"))
        pam = User(user_id="pam", user_id_key="pam", email="p@example.org", email_key="p@example.org",
                   first_name="Pam", last_name="Cameron", password_hash="x")
        at_0016 = {k: v for k, v in pam.model_dump().items() if k not in _USER_COLUMNS_AFTER_0016 | {"id"}}
        session.exec(User.__table__.insert().values(**at_0016))
        uid = session.exec(text("SELECT id FROM \"user\" WHERE user_id_key = 'pam'")).one()[0]
        for _ in range(3):
            session.exec(text("INSERT INTO rolerequest (user_id, organization_id, role, justification, status, "
                              "reason, created_at) VALUES (:u, 'A1', 'Staff', 'j', 'pending', '', CURRENT_TIMESTAMP)"),
                         params={"u": uid})
        session.commit()
    migrations.upgrade(url)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, status FROM rolerequest ORDER BY id")).all()
    assert [status for _id, status in rows] == ["pending", "cancelled", "cancelled"]
    with pytest.raises(Exception, match="(?i)unique"), engine.begin() as conn:
        conn.execute(text("INSERT INTO rolerequest (user_id, organization_id, role, justification, status, reason, "
                          "created_at) VALUES (:u, 'A1', 'Staff', 'j', 'pending', '', CURRENT_TIMESTAMP)"), {"u": uid})
    engine.dispose()
