"""`make run`: migrate, seed an empty database, rebuild the frontend only when it changed, serve.

Reflex's own `reflex run --env prod` rebuilds the frontend every time (tens of
seconds). We build with `reflex export` when the sources changed and otherwise
start the production backend straight away, with the built frontend mounted on
the same port: exactly what `reflex run --env prod` serves.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from harmony_portal.db import session_scope
from harmony_portal.server import logging_setup, migrations, shutdown
from harmony_portal.services import demo
from harmony_portal.settings import PROJECT_ROOT, ConfigurationError, get_settings, production_problems

STAMP = PROJECT_ROOT / ".web" / "harmony-build.stamp"
BUILD_INDEX = PROJECT_ROOT / ".web" / "build" / "client" / "index.html"
_SOURCES = ("harmony_portal", "assets", "rxconfig.py", "reflex.lock")


def source_fingerprint(port: int) -> str:
    """A hash of everything the compiled frontend depends on (its port is baked in)."""
    digest = hashlib.sha256(f"{version('reflex')}:{port}".encode())
    for top in _SOURCES:
        root = PROJECT_ROOT / top
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def frontend_is_current(port: int) -> bool:
    return BUILD_INDEX.exists() and STAMP.exists() and STAMP.read_text() == source_fingerprint(port)


def build_frontend(port: int) -> None:
    """Compile the app and build the production frontend into .web/build/client."""
    reflex_bin = Path(sys.executable).with_name("reflex")
    # The frontend is built to talk to the server on the port it will be served from.
    env = {**os.environ, "REFLEX_FRONTEND_PORT": str(port), "REFLEX_BACKEND_PORT": str(port)}
    subprocess.run([str(reflex_bin), "export", "--frontend-only", "--no-zip", "--env", "prod"],
                   cwd=PROJECT_ROOT, check=True, env=env)
    STAMP.write_text(source_fingerprint(port))


def serve_backend(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - a server listens on all interfaces
    """Start the production server with the built frontend mounted (blocks).

    Stopping (SIGTERM) is graceful: see ``shutdown`` for what finishes and how long it may take.
    """
    from reflex.environment import environment
    from reflex_base import constants
    from reflex_base.config import get_config

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    get_config()._set_persistent(frontend_port=port, backend_port=port)
    print(f"Harmony Portal is running at http://localhost:{port}/", flush=True)
    run_server(host, port)


def run_server(host: str, port: int) -> None:
    """Reflex's production server (Granian), with a kill timeout for stopping workers and, in production, JSON logs."""
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants

    with shutdown.graceful_server():
        reflex_exec.run_backend_prod(host, port, constants.LogLevel.WARNING, mount_frontend_compiled_app=True)


def serve() -> int:
    settings = get_settings()
    problems = production_problems(settings)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 2
    try:
        settings.secret_key()  # outside production: generated into data/ on first run
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging_setup.configure_logging(settings)
    os.chdir(PROJECT_ROOT)
    # Every node and worker may start at once: on PostgreSQL only one migrates, the rest wait.
    migrations.upgrade()
    if settings.harmony_demo:
        with session_scope() as session:
            logins = demo.seed_demo(session) if demo.is_empty(session) else []
        for login in logins:
            print(f"demo login: {login.user_id} ({login.role}), password {demo.DEMO_PASSWORD}")
        if logins:
            print("two-factor codes: .venv/bin/harmony-portal totp-code --user-id USER_ID")
    build_port = settings.harmony_frontend_port or settings.port
    if not frontend_is_current(build_port):
        print("Building the frontend (first run, or the sources changed)…", flush=True)
        build_frontend(build_port)
    serve_backend(settings.port)
    return 0
