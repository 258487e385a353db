"""The harmony-portal command (as a user runs it) and the settings rules."""

import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from harmony_portal.db import make_engine
from harmony_portal.models import AuditEvent, OrgRole
from harmony_portal.server import launcher, migrations
from harmony_portal.services import demo
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.roles import terms
from harmony_portal.services.signing import certificates
from harmony_portal.settings import PROJECT_ROOT, ConfigurationError, Settings, get_settings, production_problems
from tests.state.conftest import run_async

CLI = str(Path(sys.executable).with_name("harmony-portal"))


@pytest.fixture
def cli(tmp_path):
    # PYTHONPATH: the command runs this checkout's code even when the virtualenv's editable
    # install points at another checkout of the project.
    base = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PYTHONPATH": str(PROJECT_ROOT)}

    def run(*args, env: dict | None = None):
        return subprocess.run([CLI, *args], env={**base, **(env or {})}, capture_output=True, text=True,
                              timeout=120)

    return run


def test_seed_demo_then_totp_code_for_demo_accounts_only(cli):
    seeded = cli("seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "so.constant" in seeded.stdout
    code = cli("totp-code", "--user-id", "so.constant")
    assert code.returncode == 0 and code.stdout.strip().isdigit() and len(code.stdout.strip()) == 6
    again = cli("seed-demo")
    assert again.returncode != 0 and "empty database" in again.stderr
    made = cli("create-admin", "--user-id", "desk.real", "--email", "real@example.org", "--password",
               "Kodiak bears fish at dawn")
    assert made.returncode == 0 and "TOTP setup key:" in made.stdout and "otpauth://totp/" in made.stdout
    refused = cli("totp-code", "--user-id", "desk.real")
    assert refused.returncode != 0 and "demo accounts only" in refused.stderr


def test_create_admin_errors_are_clear_and_exit_non_zero(cli):
    assert cli("create-admin", "--user-id", "desk.one", "--email", "one@example.org", "--password",
               "A fine admin passphrase").returncode == 0
    duplicate = cli("create-admin", "--user-id", "DESK.ONE", "--email", "two@example.org", "--password",
                    "Another fine passphrase")
    assert duplicate.returncode != 0 and "already exists" in duplicate.stderr
    weak = cli("create-admin", "--user-id", "desk.two", "--email", "two@example.org", "--password", "password")
    assert weak.returncode != 0 and "at least 12" in weak.stderr


def test_add_organization_checks_the_provider_type(cli):
    ok = cli("add-organization", "--id", "AK-CC-01", "--name", "Yukon Care", "--type", "Care Coordinator")
    assert ok.returncode == 0 and "AK-CC-01" in ok.stdout
    bad = cli("add-organization", "--id", "AK-X", "--name", "X", "--type", "Hospital")
    assert bad.returncode != 0 and "Provider type must be one of" in bad.stderr
    dup = cli("add-organization", "--id", "AK-CC-01", "--name", "Again", "--type", "Nursing Home")
    assert dup.returncode != 0 and "already exists" in dup.stderr
    assert cli("verify-audit").returncode == 0


def test_production_refuses_a_missing_or_placeholder_secret_key():
    for key in (None, "changeme"):
        with pytest.raises(ConfigurationError, match="HARMONY_SECRET_KEY"):
            Settings(harmony_env="production", harmony_secret_key=key).secret_key()
    assert Settings(harmony_env="production", harmony_secret_key="k" * 48).secret_key() == "k" * 48


def test_relative_sqlite_urls_are_anchored_at_the_project():
    url = Settings(database_url="sqlite:///data/harmony.db").sqlalchemy_url
    assert url.startswith("sqlite:////") and url.endswith("/data/harmony.db")


@pytest.mark.parametrize(("env", "production"), [
    ("development", False), ("dev", False), ("test", False), (" Development ", False),
    ("production", True), ("prod", True), ("staging", True), ("live", True), ("prodution", True), ("", True),
])
def test_any_unknown_environment_counts_as_production(env, production):
    assert Settings(harmony_env=env).is_production is production


def test_every_command_says_which_database_and_the_default_is_the_project_folders_from_anywhere(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(PROJECT_ROOT), HARMONY_ENV="production")  # seed-demo then stops before the database
    ran = subprocess.run([CLI, "seed-demo"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert f"database: sqlite:///{PROJECT_ROOT / 'data' / 'harmony.db'}" in ran.stderr.splitlines()
    hidden = subprocess.run([CLI, "seed-demo"], env={**env, "DATABASE_URL": "postgresql+psycopg://u:s3cret@db/x"},
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "database: postgresql+psycopg://u:***@db/x" in hidden.stderr and "s3cret" not in hidden.stderr


@pytest.mark.parametrize("env", ["production", "staging"])
def test_seed_demo_refuses_production_with_one_line(cli, env, tmp_path):
    refused = cli("seed-demo", env={"HARMONY_ENV": env})
    assert refused.returncode != 0 and refused.stdout == ""
    said = [line for line in refused.stderr.strip().splitlines() if not line.startswith("database: ")]
    assert len(said) == 1 and "production" in said[0]
    # Refused before touching the database: not even migrated.
    assert not (tmp_path / "cli.db").exists() or (tmp_path / "cli.db").stat().st_size == 0


def test_the_demo_service_refuses_production_too(monkeypatch):
    monkeypatch.setattr(demo, "get_settings", lambda: Settings(harmony_env="production"))
    with pytest.raises(NotAllowed, match="production"):
        demo.seed_demo(session=None)


# A production environment with everything it needs; each case below takes one thing away.
# A signing identity of the tests' own: production needs the three files to exist.
_SIGNING = certificates.generate_into(Path(tempfile.mkdtemp(prefix="harmony-signing-")) / "signing")
_PRODUCTION = {"harmony_signing_cert": _SIGNING[0], "harmony_signing_key": _SIGNING[1],
               "harmony_signing_roots": _SIGNING[2], "harmony_env": "production", "database_url": "postgresql+psycopg://portal:pw@db.internal/portal",
               "redis_url": "redis://cache.internal:6379/0", "harmony_secret_key": "k" * 48, "harmony_demo": False,
               "harmony_base_url": "https://portal.example.org",
               "harmony_mail_from": "Harmony Portal <no-reply@portal.example.org>"}


@pytest.fixture
def nothing_starts(monkeypatch, tmp_path):
    """serve() may check, but must not migrate, seed, build or serve."""
    def started(*_args, **_kwargs):
        raise AssertionError("serve went on to migrate, seed, build or serve")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(migrations, "upgrade", started)
    for name in ("frontend_is_current", "build_frontend", "serve_backend"):
        monkeypatch.setattr(launcher, name, started)


@pytest.mark.parametrize(("change", "says"), [
    ({"database_url": "sqlite:///data/harmony.db"}, "set DATABASE_URL=postgresql+psycopg://"),
    ({"redis_url": None}, "set REDIS_URL=redis://"),
    ({"redis_url": "  "}, "set REDIS_URL=redis://"),
    ({"harmony_secret_key": None}, "HARMONY_SECRET_KEY is missing"),
    ({"harmony_secret_key": "changeme"}, "HARMONY_SECRET_KEY is missing, a placeholder"),
    ({"harmony_secret_key": "short-but-not-a-placeholder"}, "shorter than 32 characters: set it"),
    ({"harmony_demo": True}, "set HARMONY_DEMO=0"),
    ({"harmony_rate_limits": False}, "HARMONY_RATE_LIMITS"),
    ({"harmony_base_url": ""}, "HARMONY_BASE_URL is not set"),
    ({"harmony_mail_from": "Harmony Portal <no-reply@harmony-portal.local>"}, "set HARMONY_MAIL_FROM="),
    ({"harmony_mail_from": "not an address"}, "set HARMONY_MAIL_FROM="),
    ({"harmony_signing_cert": None}, "HARMONY_SIGNING_CERT is not set"),
    ({"harmony_signing_key": "/nowhere/key.pem"}, "HARMONY_SIGNING_KEY is '/nowhere/key.pem', not a readable file"),
    ({"harmony_signing_roots": None}, "set HARMONY_SIGNING_ROOTS="),
], ids=["sqlite", "no-redis", "blank-redis", "no-key", "placeholder-key", "short-key", "demo", "rate-limits",
        "no-base-url", "local-sender", "no-sender", "no-signing-cert", "missing-signing-key", "no-signing-roots"])
def test_serve_in_production_refuses_each_gap_in_one_line(monkeypatch, capsys, nothing_starts, change, says):
    settings = Settings(**{**_PRODUCTION, **change})
    monkeypatch.setattr(launcher, "get_settings", lambda: settings)
    assert launcher.serve() == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and says in err
    assert "pw@" not in err  # a refusal never repeats a password from a URL


def test_serve_in_production_lists_every_gap_at_once(monkeypatch, capsys, nothing_starts):
    settings = Settings(harmony_env="staging", harmony_secret_key="", redis_url=None,
                        database_url="sqlite:///data/harmony.db", harmony_demo=True)
    monkeypatch.setattr(launcher, "get_settings", lambda: settings)
    assert launcher.serve() == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 9
    for setting in ("DATABASE_URL", "REDIS_URL", "HARMONY_SECRET_KEY", "HARMONY_DEMO", "HARMONY_BASE_URL",
                    "HARMONY_MAIL_FROM", "HARMONY_SIGNING_CERT", "HARMONY_SIGNING_KEY", "HARMONY_SIGNING_ROOTS"):
        assert sum(setting in line for line in lines) >= 1


def test_an_unset_base_url_follows_the_port_served(monkeypatch):
    monkeypatch.delenv("HARMONY_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "3100")
    assert Settings().harmony_base_url == "http://localhost:3100"
    monkeypatch.setenv("HARMONY_BASE_URL", "https://portal.example.org")
    assert Settings().harmony_base_url == "https://portal.example.org"


def test_development_needs_none_of_it():
    settings = Settings(harmony_env="development", database_url="sqlite:///data/harmony.db", redis_url=None,
                        harmony_demo=True)
    assert production_problems(settings) == []


def test_serve_in_production_with_everything_set_migrates_then_serves(monkeypatch, tmp_path):
    from harmony_portal.server import logging_setup

    settings = Settings(**_PRODUCTION)
    assert production_problems(settings) == []
    calls = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(launcher, "get_settings", lambda: settings)
    monkeypatch.setattr(logging_setup, "configure_logging", lambda s: calls.append("logs"))
    monkeypatch.setattr(migrations, "upgrade", lambda: calls.append("migrate"))
    monkeypatch.setattr(launcher, "frontend_is_current", lambda port: True)
    monkeypatch.setattr(launcher, "serve_backend", lambda port: calls.append("serve"))
    assert launcher.serve() == 0
    assert calls == ["logs", "migrate", "serve"]


def test_the_server_is_given_a_kill_timeout_for_stopping_workers(monkeypatch):
    """Reflex builds granian.server.Server itself; while serve runs it, that class has our timeout."""
    import inspect

    import granian.server
    from reflex.utils import exec as reflex_exec

    from harmony_portal.server import shutdown

    # The hook relies on Reflex building Granian's server by this name at call time.
    assert "from granian.server import Server" in inspect.getsource(reflex_exec.run_granian_backend_prod)
    monkeypatch.setenv("HARMONY_SHUTDOWN_SECONDS", "25")
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    get_settings.cache_clear()
    seen = {}

    def fake_run_backend_prod(host, port, loglevel, mount_frontend_compiled_app=False):
        server = granian.server.Server(target="harmony_portal.harmony_portal:app", factory=True)
        seen.update(kill=server.workers_kill_timeout, gunicorn=os.environ.get("GUNICORN_CMD_ARGS"))

    monkeypatch.setattr(reflex_exec, "run_backend_prod", fake_run_backend_prod)
    try:
        launcher.run_server("127.0.0.1", 3999)
    finally:
        get_settings.cache_clear()
    assert seen == {"kill": 25 + 10, "gunicorn": "--graceful-timeout 35"}
    assert granian.server.Server.__name__ != "GracefulServer"  # put back afterwards
    assert "GUNICORN_CMD_ARGS" not in os.environ
    assert shutdown.kill_timeout(Settings(harmony_shutdown_seconds=30)) == 30 + 10


def test_running_events_get_the_shutdown_time_to_finish():
    """Reflex's event processor cancels running events at shutdown unless given a drain time."""
    from types import SimpleNamespace

    from harmony_portal.server import shutdown

    app = SimpleNamespace(_event_processor=SimpleNamespace(graceful_shutdown_timeout=None))

    async def lifespan():
        async with shutdown.drain_events_on_shutdown(app):
            pass

    run_async(lifespan())  # on its own thread: browser tests may own this thread's loop
    assert app._event_processor.graceful_shutdown_timeout == Settings().harmony_shutdown_seconds == 30


def test_the_app_registers_the_drain_after_reflex_builds_its_event_processor():
    from harmony_portal.harmony_portal import app
    from harmony_portal.server import shutdown

    tasks = [getattr(task, "__name__", "") for task in app.get_lifespan_tasks()]
    # Reflex's own task (which makes the processor) is registered while rx.App is built:
    # ours comes later, so it starts after the processor exists and ends before it stops.
    assert tasks.index("_setup_event_processor") < tasks.index(shutdown.drain_events_on_shutdown.__name__)


@pytest.fixture
def loose_umask():
    """The umask most systems ship with: files come out world-readable unless asked otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_generated_secret_key_is_owner_only_from_creation(tmp_path, monkeypatch, loose_umask):
    monkeypatch.setattr(Settings, "data_dir", property(lambda self: tmp_path))
    # No fixing up afterwards: the file must be created 0600.
    monkeypatch.setattr(Path, "chmod", lambda self, mode: None)
    key = Settings(harmony_env="development", harmony_secret_key="").secret_key()
    assert len(key) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings(harmony_env="development", harmony_secret_key="").secret_key() == key


def test_sqlite_database_file_is_owner_only(tmp_path, loose_umask):
    from sqlalchemy import text

    from harmony_portal.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/private/harmony.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    for path in (tmp_path / "private").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_trusted_proxy_hops_reach_the_reflex_config(monkeypatch):
    import importlib

    import rxconfig
    from harmony_portal.settings import get_settings

    monkeypatch.setenv("HARMONY_TRUSTED_PROXY_HOPS", "2")
    get_settings.cache_clear()
    try:
        assert importlib.reload(rxconfig).config.trusted_proxy_hops == 2
    finally:
        monkeypatch.delenv("HARMONY_TRUSTED_PROXY_HOPS")
        get_settings.cache_clear()
        importlib.reload(rxconfig)
    assert Settings().harmony_trusted_proxy_hops == 0


def test_mail_poll_interval_is_a_setting(monkeypatch):
    assert Settings().harmony_mail_poll_seconds == 5
    monkeypatch.setenv("HARMONY_MAIL_POLL_SECONDS", "0.5")
    assert Settings().harmony_mail_poll_seconds == 0.5
    monkeypatch.setenv("HARMONY_MAIL_POLL_SECONDS", "0")
    with pytest.raises(ValueError):
        Settings()


def test_reflex_public_upload_folder_is_apart_from_the_attachment_store(monkeypatch):
    from harmony_portal.settings import isolate_reflex_uploads

    monkeypatch.delenv("HARMONY_UPLOAD_DIR", raising=False)
    monkeypatch.delenv("REFLEX_UPLOADED_FILES_DIR", raising=False)
    settings = Settings()
    public, private = settings.reflex_upload_dir.resolve(), settings.upload_dir.resolve()
    assert public != private
    assert public not in private.parents and private not in public.parents
    assert isolate_reflex_uploads(settings) == settings.reflex_upload_dir
    assert os.environ["REFLEX_UPLOADED_FILES_DIR"] == str(settings.reflex_upload_dir)

    import reflex as rx

    assert Path(rx.get_upload_dir()).resolve() == public
    assert not any(public.iterdir())  # empty: Reflex has nothing of ours to serve


@pytest.mark.parametrize("store", ["data", "data/reflex-uploads-unused", "data/reflex-uploads-unused/files"])
def test_an_attachment_store_overlapping_the_public_folder_is_refused(monkeypatch, store):
    from harmony_portal.settings import isolate_reflex_uploads

    monkeypatch.delenv("REFLEX_UPLOADED_FILES_DIR", raising=False)
    monkeypatch.setenv("HARMONY_UPLOAD_DIR", store)
    with pytest.raises(ConfigurationError, match="HARMONY_UPLOAD_DIR"):
        isolate_reflex_uploads(Settings())
    assert "REFLEX_UPLOADED_FILES_DIR" not in os.environ


def test_rxconfig_points_reflex_uploads_at_the_empty_folder():
    code = ("import os, rxconfig; from harmony_portal.settings import get_settings; "
            "print(os.environ['REFLEX_UPLOADED_FILES_DIR'] == str(get_settings().reflex_upload_dir))")
    env = {**os.environ, "REFLEX_UPLOADED_FILES_DIR": "uploaded_files"}  # Reflex's default, served publicly
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr[-2000:]


def test_maintenance_add_list_cancel_from_the_command_line(cli):
    added = cli("maintenance", "add", "--start", "2031-03-09T01:30", "--end", "2031-03-09T04:30",
                "--reason", "Database upgrade")
    assert added.returncode == 0, added.stderr
    window_id = added.stdout.split()[3].rstrip(":")
    # Alaska time without an offset, across the night DST starts (Mar 9 2031, 2:00 AM -> 3:00 AM): the
    # window typed as 1:30-4:30 is two real hours, and shows back with each end's own zone.
    assert "Mar 9, 2031 1:30 AM AKST to Mar 9, 2031 4:30 AM AKDT" in added.stdout
    listed = cli("maintenance", "list")
    assert "weekly: Every Sunday, 2:00 PM to 8:00 PM" in listed.stdout
    refused = cli("maintenance", "add", "--start", "2031-03-09T05:00", "--end", "2031-03-09T04:00")
    assert refused.returncode == 2 and "The end must be after the start" in refused.stderr
    assert cli("maintenance", "cancel", window_id).returncode == 0
    again = cli("maintenance", "cancel", window_id)
    assert again.returncode == 2 and "cancelled already" in again.stderr
    assert cli("maintenance", "add", "--start", "soon", "--end", "later").returncode == 2
def test_in_production_a_command_on_an_older_schema_says_what_to_run(cli, tmp_path):
    from alembic import command

    command.upgrade(migrations.alembic_config(f"sqlite:///{tmp_path}/cli.db"), "0009")
    production = {"HARMONY_ENV": "production"}
    refused = cli("verify-audit", env=production)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        f"database: sqlite:///{tmp_path}/cli.db",
        f"error: the database is at schema 0009 but this version needs {migrations.head_revision()}: "
        "run: harmony-portal migrate"]
    migrated = cli("migrate", env=production)
    assert migrated.returncode == 0, migrated.stderr
    assert f"migrated from 0009 to {migrations.head_revision()}" in migrated.stdout
    assert cli("verify-audit", env=production).returncode == 0
    again = cli("migrate", env=production)
    assert again.returncode == 0 and "already" not in again.stderr and "is at the newest schema" in again.stdout


def test_roles_end_due_ends_the_roles_due_by_the_moment_given(cli, tmp_path):
    assert cli("seed-demo").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path}/cli.db")
    with Session(engine) as s:
        grants = s.exec(select(OrgRole).order_by(OrgRole.id)).all()[:2]
        for grant, last_day in zip(grants, (date(2031, 1, 10), date(2031, 1, 20)), strict=True):
            grant.ends_on, grant.ends_at = last_day, terms.ends_at_for(last_day)
            s.add(grant)
        ids = [g.id for g in grants]
        s.commit()
    # Jan 11 00:30 in Alaska: the first role's last day is over, the second's is not.
    ran = cli("roles", "end-due", "--now", "2031-01-11T00:30")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("ended 1 role due by 2031-01-11T00:30:00-09:00")
    with Session(engine) as s:
        assert s.get(OrgRole, ids[0]) is None and s.get(OrgRole, ids[1]) is not None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "role.expired")).one()
    assert cli("roles", "end-due", "--now", "whenever").returncode == 2
    engine.dispose()
