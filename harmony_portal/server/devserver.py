"""Start a throwaway production server (browser tests and benchmarks use this)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harmony_portal.settings import PROJECT_ROOT

START_TIMEOUT = 600


def pick_port(preferred: int) -> int:
    """``preferred`` when free (a stable port lets the built frontend be reused), else any."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


@dataclass
class DevServer:
    url: str
    database_url: str
    workdir: Path
    process: subprocess.Popen

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def stop(self, keep_log_as: str = "harmony-e2e-server.log") -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass  # it already exited
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        shutil.copy(self.log, Path(tempfile.gettempdir()) / keep_log_as)  # for whoever debugs a failure
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(preferred_port: int, database_url: str | None = None, **extra_env: str) -> DevServer:
    """`harmony-portal serve` on its own port and database, waited for until it answers."""
    workdir = Path(tempfile.mkdtemp(prefix="harmony-server-"))
    port = pick_port(preferred_port)
    database_url = database_url or f"sqlite:///{workdir}/portal.db"
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "HARMONY_DEMO": "1",
           "HARMONY_BASE_URL": f"http://localhost:{port}", "HARMONY_UPLOAD_DIR": str(workdir / "attachments"),
           "REFLEX_USE_NPM": "1", "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **extra_env}
    for unset in ("REDIS_URL", "SMTP_URL"):
        if unset not in extra_env:
            env.pop(unset, None)
    with (workdir / "server.log").open("w") as out:
        process = subprocess.Popen([str(Path(sys.executable).with_name("harmony-portal")), "serve"],
                                   cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = DevServer(f"http://localhost:{port}", database_url, workdir, process)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the portal exited early:\n{server.log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(server.url + "/ping", timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(1)
    server.stop()
    raise RuntimeError(f"the portal did not start in {START_TIMEOUT}s")
