"""Servers a test starts, owns and may restart: PostgreSQL, Redis, nginx.

The fault tests stop and start these; they never touch the machine's shared PostgreSQL
or Redis. Each lives in its own temporary folder on its own free port.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from string import Template

import redis
from sqlalchemy import create_engine, text

PROJECT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")
    return str(found)


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own (initdb), trust auth, on a free port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="harmony-pg-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U",
                                     "postgres", "--no-sync"]), check=True, capture_output=True, timeout=120)
        self.start()
        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "harmony"'))
        admin.dispose()

    def url(self, database: str = "harmony") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-w", "-t", "60", *args]),
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "-l", str(self.dir / "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayRedis:
    """A redis-server of its own, no persistence, on a free port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: install Redis (apt-get install redis-server)")
        self.binary, self.port = binary, free_port()
        self.dir = tempfile.mkdtemp(prefix="harmony-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", self.dir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def self_signed_certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    """A certificate for ``names`` (the test's stand-in for a real one)."""
    key, cert = folder / "tls.key", folder / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    f"/CN={names[0]}", "-addext", "subjectAltName=" + ",".join(f"DNS:{n}" for n in names),
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


class Nginx:
    """nginx (the Debian package's binary) with deploy/nginx.conf.template, in the foreground."""

    def __init__(self, *, http_port: int | None = None, **values: object) -> None:
        """``http_port``: also listen there to send plain http to https (None: only https, as a
        load balancer that listens on 443 alone)."""
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx not found: install it (apt-get install nginx-light), as `make test` does")
        self.dir = Path(tempfile.mkdtemp(prefix="harmony-nginx-"))
        template = (PROJECT / "deploy" / "nginx.conf.template").read_text()
        if http_port is None:
            template = re.sub(r"\n *# begin http-to-https\n.*?# end http-to-https\n", "\n", template, flags=re.S)
        conf = Template(template).substitute(workdir=self.dir, http_port=http_port, **values)
        (self.dir / "nginx.conf").write_text(conf)
        command = [binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"]
        checked = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration:\n{checked.stderr}")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
        time.sleep(0.5)
        if self.process.poll() is not None:
            raise RuntimeError(f"nginx did not start:\n{self.process.stderr.read().decode()}")

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGQUIT)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
