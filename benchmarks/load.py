"""Load: simulated users over Reflex's websocket protocol, the portal against a bare Reflex app.

Each simulated user is one ``ReflexSocket`` (benchmarks/socket_dashboard.py: the protocol a
browser speaks, without a browser) and one thread that goes round a realistic mix with a
think time between events:

- a provider opens Home, the PQ list and one of their organization's PQs, saves a note on
  it and, every few rounds (``BENCH_FILE_SHARE``), opens Request a Role and files a request;
- a Security Official (one user in ten) opens Home, their Role Requests dashboard, ticks the
  oldest request and approves it, opens User Lookup and looks up a user, and opens the PQ list.

Opening a page is what a browser sends: ``hydrate_and_load``, then the page's on-load
handlers run on the server; its round trip ends at the delta that marks the page hydrated.
An action's round trip ends at the delta it causes. Users are signed in with sessions made
directly (``start_session``, second factor passed, the cookie sent with the handshake);
``BENCH_SIGNIN_SHARE`` of the providers sign in for real first (password, then the current
code, then the cookie route), the way the login page does it.

The bare app (benchmarks/bare_app) is Reflex with nothing of ours: a counter and, per
organization, one shared list of as many rows as the portal's officials saw in their queue.
It runs the same mix with the same think times: each page open is ``hydrate_and_load`` of a
page whose on-load links the organization's list, each action an event, filing and
approving change the shared list (fanned out to the organization's clients). Both servers
are the production backend alone (benchmarks/backend.py: no frontend build), one worker per
node, on fresh state (the portal on a throwaway PostgreSQL database).

Then the live propagation: ``BENCH_LIVE`` dashboards (socket clients) of one organization,
and requests filed by socket; the time from sending a request to its row on every dashboard,
for the portal (one feed per official's session) and the bare app (one shared list linked by
every dashboard).

Server memory and CPU come from /proc of the server's processes (RSS from status, CPU time
from stat); the load generator runs on the same machine and its own CPU is reported too.
``BENCH_NODES=2`` runs two backends sharing Redis (``BENCH_REDIS_URL``, a database number of
its own, flushed before each phase) and one PostgreSQL database, with the users split between
them.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session

from benchmarks.common import postgres_database, summary, write_results
from benchmarks.socket_dashboard import ReflexSocket
from harmony_portal.db import make_engine
from harmony_portal.live.queues import QueueFeed
from harmony_portal.models import WeeklyMaintenance, utc_now
from harmony_portal.server import outages
from harmony_portal.server.devserver import pick_port
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin.sessions import start_session
from harmony_portal.settings import PROJECT_ROOT, get_settings
from harmony_portal.state.login import LoginState
from harmony_portal.state.pq_detail import PQDetailState
from harmony_portal.state.role_request import RoleRequestState
from harmony_portal.state.role_requests import RoleRequestsState
from harmony_portal.state.user_lookup import UserLookupState
from harmony_portal.vocabulary import SECURITY_OFFICIAL, STAFF


def _ints(name: str, default: str) -> list[int]:
    return [int(n) for n in os.environ.get(name, default).split(",") if n.strip()]


SIZES = _ints("BENCH_USERS", "50,200,500")
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))  # the measured window of each size
# Between events, uniform: a click every ten seconds on average is a busy user.
THINK_S = tuple(float(n) for n in os.environ.get("BENCH_THINK_S", "5-15").split("-"))
RAMP_PER_S = float(os.environ.get("BENCH_RAMP", "25"))  # users connecting per second before the window
LIVE = _ints("BENCH_LIVE", "100,500")
LIVE_REQUESTS = int(os.environ.get("BENCH_LIVE_REQUESTS", "5"))
# Linking N clients to one shared token costs about N*N/2 client updates while they connect
# (each new link changes the shared state's list of linked clients, sent to all): 24 s for 300.
LIVE_ONE_LIST_MAX = int(os.environ.get("BENCH_LIVE_ONE_LIST_MAX", "500"))
NODES = int(os.environ.get("BENCH_NODES", "1"))
# Portal and bare alternate this many times per size: the machine is shared, so one pair can mislead.
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))
APPS = [a for a in os.environ.get("BENCH_APPS", "portal,bare").split(",") if a]
SIGNIN_SHARE = float(os.environ.get("BENCH_SIGNIN_SHARE", "0.05"))
FILE_SHARE = float(os.environ.get("BENCH_FILE_SHARE", "0.25"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# A py-spy binary: sample the server's event loop during each window (where its time goes).
PYSPY = os.environ.get("BENCH_PYSPY", "")
BASE_PORT = int(os.environ.get("BENCH_PORT", "3640"))
TIMEOUT_S = 30
PER_ORG = 10  # an organization's connected users: one Security Official and nine providers
PQS_PER_ORG = 3
PASSWORD_USERS_PREFIX = "ld"
BARE_APP = Path(__file__).parent / "bare_app"
SECRET_KEY = "load-benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

HYDRATED = '"is_hydrated_rx_state_":true'
SNAPSHOT = '"is_hydrated_rx_state_":false'  # the hydrate snapshot: every state as it stands, stale errors too
_ERROR_FIELD = re.compile(r'"(?:error|note_error|reject_error)_rx_state_":"[^"]')
_FAILURES = (outages.FAILURE[:40], outages.OUTAGE[:40], "/login?", "Your session has ended")
_HANDOFF = re.compile(r'/auth/session\?[^"\\]+')


def _event(cls, handler: str) -> str:
    """The name a browser sends for ``cls.handler`` (the state's full name, then the handler)."""
    return f"{cls.get_full_name()}.{handler}"


# The bare app's states, as its server names them (module bare_app.bare_app). Not imported
# here: this process already holds the portal's states.
BARE_COUNTER = "reflex___state____state.bare_app___bare_app____counter"


# ---- /proc: the server's processes, their memory and CPU -----------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_tree(roots: list[int]) -> list[int]:
    """``roots`` and every process below them (granian's workers, Python's helpers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))):
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [], list(roots)
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        if fields := _stat_fields(pid):
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot: the share used by everything on the machine."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _processes_named(prefix: bytes, contains: bytes = b"") -> list[int]:
    """Processes whose command line starts with ``prefix`` (and holds ``contains``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                line = f.read()
        except OSError:
            continue
        if line.startswith(prefix) and contains in line:
            found.append(int(entry))
    return found


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in pids}


@dataclass
class Snapshot:
    at: float
    server_cpu: float
    client_cpu: float
    server_rss_kib: int
    busy: tuple[float, float]
    database_cpu: dict[int, float]  # PostgreSQL backends serving the benchmark's database
    redis_cpu: float

    @classmethod
    def take(cls, pids: list[int], database: str = "", redis: bool = False) -> Snapshot:
        # A backend's title is "postgres: 15/main: user DATABASE host(port) state".
        db_pids = _processes_named(b"postgres: ", f" {database} ".encode()) if database else []
        return cls(time.monotonic(), cpu_seconds(pids), cpu_seconds([os.getpid()]), rss_kib(pids), machine_busy(),
                   _cpu_by_pid(db_pids), cpu_seconds(_processes_named(b"redis-server")) if redis else 0.0)


def _usage(before: Snapshot, after: Snapshot, events: int) -> dict:
    seconds = after.at - before.at
    server = after.server_cpu - before.server_cpu
    busy = (after.busy[0] - before.busy[0]) / max(1, after.busy[1] - before.busy[1])
    client = (after.client_cpu - before.client_cpu) / seconds
    machine = busy * (os.cpu_count() or 1)
    # A connection that closed in between counts what it used before it closed as nothing more.
    database = sum(after.database_cpu.get(pid, start) - start for pid, start in before.database_cpu.items())
    database += sum(cpu for pid, cpu in after.database_cpu.items() if pid not in before.database_cpu)
    usage = {"server_cpu_cores": round(server / seconds, 2),
             "server_cpu_ms_per_event": round(server * 1000 / events, 2) if events else None,
             "load_generator_cpu_cores": round(client, 2),
             "machine_busy_cores": round(machine, 2),
             # Everything else the machine ran: PostgreSQL and Redis (ours too), other users' work.
             "other_cpu_cores": round(max(0.0, machine - server / seconds - client), 2)}
    if before.database_cpu or after.database_cpu:
        usage["postgres_cpu_cores"] = round(database / seconds, 2)
        usage["postgres_cpu_ms_per_event"] = round(database * 1000 / events, 2) if events else None
    if after.redis_cpu:
        usage["redis_cpu_cores"] = round((after.redis_cpu - before.redis_cpu) / seconds, 2)
    return usage


# ---- Servers ---------------------------------------------------------------------------------


@dataclass
class Backends:
    app: str
    urls: list[str]
    processes: list[subprocess.Popen]
    workdir: Path

    def pids(self) -> list[int]:
        return process_tree([p.pid for p in self.processes])

    def stop(self) -> None:
        for i, process in enumerate(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            log = self.workdir / f"server{i}.log"
            if log.exists():  # for whoever looks into a failure
                shutil.copy(log, Path(tempfile.gettempdir()) / f"harmony-bench-load-{self.app}{i}.log")
        shutil.rmtree(self.workdir, ignore_errors=True)


def _flush_redis() -> None:
    """Empty the benchmark's own Redis database: shared states and stale links of an earlier phase."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


def start_backends(app: str, nodes: int, *, database_url: str = "", bare_rows: int = 10) -> Backends:
    """``nodes`` production backends of ``app`` ("portal" or "bare"), one worker each, waited for."""
    workdir = Path(tempfile.mkdtemp(prefix=f"harmony-load-{app}-"))
    if app == "bare":
        # A copy: whatever Reflex writes beside the app stays in the temporary folder.
        cwd = workdir / "bare"
        shutil.copytree(BARE_APP, cwd, ignore=shutil.ignore_patterns("__pycache__", ".web", ".states"))
    else:
        cwd = PROJECT_ROOT
    redis_url = REDIS_URL if nodes > 1 else ""
    if redis_url:
        _flush_redis()
    processes, urls = [], []
    for i in range(nodes):
        port = pick_port(BASE_PORT + i)
        url = f"http://localhost:{port}"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
               "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
               # Reflex's working folder (it writes a page list there at start): never the checkout's .web.
               "REFLEX_WEB_WORKDIR": str(workdir / f"web{i}"), "GRANIAN_WORKERS": "1"}
        for unset in ("REDIS_URL", "REFLEX_REDIS_URL", "SMTP_URL", "GRANIAN_WORKERS"):
            env.pop(unset, None)
        env["GRANIAN_WORKERS"] = "1"
        if app == "portal":
            env.update({"DATABASE_URL": database_url, "PORT": str(port), "HARMONY_DEMO": "0",
                        "HARMONY_BASE_URL": url, "HARMONY_SECRET_KEY": SECRET_KEY,
                        "HARMONY_UPLOAD_DIR": str(workdir / "attachments"),
                        # Every simulated user signs in from 127.0.0.1.
                        "HARMONY_RATE_LIMITS": "0", "HARMONY_ENV": "development"})
            if redis_url:
                env["REDIS_URL"] = redis_url
        else:
            env["BARE_ROWS"] = str(bare_rows)
            if redis_url:
                env["BARE_REDIS_URL"] = redis_url
        with (workdir / f"server{i}.log").open("w") as out:
            processes.append(subprocess.Popen([sys.executable, "-m", "benchmarks.backend", str(port)], cwd=cwd,
                                              env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        urls.append(url)
    backends = Backends(app, urls, processes, workdir)
    deadline = time.monotonic() + 120
    for process, url in zip(processes, urls, strict=True):
        while True:
            if process.poll() is not None:
                log = (workdir / f"server{urls.index(url)}.log").read_text()[-3000:]
                backends.stop()
                raise RuntimeError(f"the {app} backend exited early:\n{log}")
            try:
                with urllib.request.urlopen(url + "/ping", timeout=2):  # noqa: S310 - localhost
                    break
            except OSError:
                if time.monotonic() > deadline:
                    backends.stop()
                    raise RuntimeError(f"the {app} backend did not start") from None
                time.sleep(0.3)
    return backends


# ---- The portal's people ---------------------------------------------------------------------


@dataclass
class Person:
    kind: str  # "official" | "provider"
    org: str
    org_index: int
    token: str = ""  # a session made directly; empty: sign in for real first
    user_id: str = ""
    secret: str = ""
    pq_ids: list[int] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)  # User IDs an official looks up
    targets: list[tuple[str, str]] = field(default_factory=list)  # (organization, role) a provider may request


def seed_portal(database_url: str, users: int, rng: random.Random) -> list[Person]:
    """Organizations of ten (one Security Official, nine Staff), three PQs each, a backlog of
    requests (each provider asks for Staff at the next organization), sessions."""
    from tests import factories

    orgs_count = max(2, -(-users // PER_ORG))
    engine = make_engine(database_url)
    people: list[Person] = []
    with Session(engine, expire_on_commit=False) as s:
        s.add(WeeklyMaintenance(id=1, active=False))  # the default Sunday window would refuse saves
        orgs = [factories.org(s, f"LD{k}", f"Load Home {k}") for k in range(orgs_count)]
        accounts = []
        for n in range(users):
            k = n % orgs_count
            j = n // orgs_count
            account = factories.user(s, f"{PASSWORD_USERS_PREFIX}{k}x{j}", first_name="Load",
                                     last_name=f"L{k}x{j}")
            secret = factories.enrol(s, account)
            factories.grant(s, account, orgs[k], SECURITY_OFFICIAL if j == 0 else STAFF)
            accounts.append((account, secret, k, j))
        pqs: dict[int, list[int]] = {k: [] for k in range(orgs_count)}
        for account, _secret, k, j in accounts:
            if j == 1 and len(pqs[k]) == 0:
                pqs[k] = [factories.pq(s, account, orgs[k], subject=f"Load question {i}").id
                          for i in range(PQS_PER_ORG)]
        members: dict[int, list[str]] = {}
        for account, _secret, k, _j in accounts:
            members.setdefault(k, []).append(account.user_id)
        wanted = ("Staff", "Access Coordinator", "Assessment Coordinator")
        for account, secret, k, j in accounts:
            if j == 0:
                people.append(Person("official", orgs[k].id, k, token=start_session(s, account, second_factor=True),
                                     lookups=members[k], pq_ids=pqs[k]))
                continue
            nxt = (k + 1) % orgs_count
            factories.request(s, account, orgs[nxt])  # the backlog every queue starts with
            targets = [(o.id, role) for o in orgs for role in wanted
                       if (o.id, role) not in {(orgs[k].id, STAFF), (orgs[nxt].id, STAFF)}]
            rng.shuffle(targets)
            person = Person("provider", orgs[k].id, k, user_id=account.user_id, secret=secret, pq_ids=pqs[k],
                            targets=targets)
            if rng.random() >= SIGNIN_SHARE:
                person.token = start_session(s, account, second_factor=True)
            people.append(person)
        s.commit()
    engine.dispose()
    rng.shuffle(people)  # officials and providers connect interleaved
    return people


# ---- Simulated users -------------------------------------------------------------------------


class Recorder:
    """Every event's round trip: (sent at, epoch ms; kind; ms or None; problem or "")."""

    def __init__(self):
        self._lock = threading.Lock()
        self.samples: list[tuple[float, str, float | None, str]] = []
        self.problems: list[str] = []
        self.queue_rows: list[int] = []
        self.connect_failures = 0

    def add(self, sent: float, kind: str, ms: float | None, problem: str = "", detail: str = "") -> None:
        with self._lock:
            self.samples.append((sent, kind, ms, problem))
            if problem and len(self.problems) < 8:
                self.problems.append(f"{kind}: {problem}: {detail[:300]}")


class StepFailed(Exception):
    """The socket closed or the server never answered: the user stops."""


class SimUser(threading.Thread):
    def __init__(self, url: str, recorder: Recorder, stop: threading.Event, delay: float, seed: int):
        super().__init__(daemon=True)
        self.url, self.recorder, self.stop, self.delay = url, recorder, stop, delay
        self.think_s = THINK_S
        self.rng = random.Random(seed)
        self.sock: ReflexSocket | None = None
        self.ready = threading.Event()  # connected and through the first page (or failed)

    # -- the protocol

    def _step(self, kind: str, name: str, payload: dict, page: str, done, ok: str = "") -> str:
        sock = self.sock
        sock.forget()
        sent = time.time() * 1000
        sock.send(name, payload, page)
        found = sock.wait_until(done, TIMEOUT_S)
        if found is None:
            self.recorder.add(sent, kind, None, "closed" if sock.closed else "timeout")
            raise StepFailed(kind)
        at, message = found
        problem = self._problem(list(sock.messages), ok)
        self.recorder.add(sent, kind, at - sent, problem, message if problem else "")
        return message

    @staticmethod
    def _problem(messages: list[tuple[float, str]], ok: str) -> str:
        for _at, message in messages:
            if SNAPSHOT in message:
                continue
            if any(f in message for f in _FAILURES):
                return "failure"
            if _ERROR_FIELD.search(message):
                return "refused"
        if ok and not any(ok in message for _at, message in messages):
            return "unexpected reply"
        return ""

    def open(self, kind: str, page: str) -> list[tuple[float, str]]:
        """A page opens: hydrate_and_load, until the page is hydrated (every on-load ran)."""
        self._step(kind, "reflex___state____state.hydrate_and_load", {}, page, lambda m: HYDRATED in m)
        return list(self.sock.messages)

    def act(self, kind: str, name: str, payload: dict, page: str, ok: str) -> str:
        """An event on the open page, until the delta it causes (or a refusal)."""
        def done(message: str) -> bool:
            return ok in message or bool(_ERROR_FIELD.search(message)) or any(f in message for f in _FAILURES)
        return self._step(kind, name, payload, page, done, ok)

    def think(self) -> None:
        self.stop.wait(self.rng.uniform(*self.think_s))
        if self.stop.is_set():
            raise StepFailed("stopped")

    # -- the thread

    def connect(self) -> None:
        raise NotImplementedError

    def units(self) -> list:
        """One round of this user's mix: steps that belong together (a page and what is done on it)."""
        raise NotImplementedError

    def run(self) -> None:
        if self.stop.wait(self.delay):
            self.ready.set()
            return
        try:
            self.connect()
        except Exception as exc:  # refused handshake, a failed sign-in
            with self.recorder._lock:
                self.recorder.connect_failures += 1
                if len(self.recorder.problems) < 8:
                    self.recorder.problems.append(f"connect: {type(exc).__name__}: {exc}"[:300])
            self.ready.set()
            return
        # Each user starts at a random point of its round, so any window sees the whole mix
        # in its proportions, not every user's first page at once.
        units = self.units()
        position = self.rng.randrange(len(units))
        try:
            while not self.stop.is_set():
                units[position % len(units)]()
                position += 1
        except StepFailed:
            pass
        finally:
            self.ready.set()
            try:
                self.sock.close()
            except Exception:  # noqa: S110 - already gone
                pass


PORTAL = {}  # event names, filled in by _portal_names (the state classes are imported above)


def _portal_names() -> dict[str, str]:
    if not PORTAL:
        PORTAL.update({
            "save_note": _event(PQDetailState, "save_note"),
            "file_request": _event(RoleRequestState, "submit"),
            "toggle": _event(RoleRequestsState, "toggle"),
            "approve": _event(RoleRequestsState, "approve"),
            "lookup": _event(UserLookupState, "search"),
            "password": _event(LoginState, "submit_password"),
            "code": _event(LoginState, "submit_code"),
            "lookup_state": UserLookupState.get_full_name(),
            "queue_feed": QueueFeed.get_full_name(),
        })
    return PORTAL


class PortalUser(SimUser):
    def __init__(self, url: str, person: Person, recorder: Recorder, stop: threading.Event, delay: float, seed: int):
        super().__init__(url, recorder, stop, delay, seed)
        self.person = person
        self.names = _portal_names()

    def connect(self) -> None:
        if not self.person.token:
            self.person.token = self._sign_in()
        self.sock = ReflexSocket(self.url, session_token=self.person.token)
        self.open("open_home", "/")
        self.ready.set()
        self.think_or_stop()

    def think_or_stop(self) -> None:
        try:
            self.think()
        except StepFailed:
            pass

    def _sign_in(self) -> str:
        """The login page's two steps over the socket, then the cookie route (as the browser's page load)."""
        self.sock = ReflexSocket(self.url)
        try:
            self.open("open_login", "/login/")
            self.act("signin_password", self.names["password"],
                     {"form": {"user_id": self.person.user_id, "password": _password(), "agree_terms": "on"}},
                     "/login/", '"step_rx_state_":"code"')
            message = self.act("signin_code", self.names["code"],
                               {"form": {"security_code": current_totp(self.person.secret, utc_now())}},
                               "/login/", "/auth/session?code=")
        finally:
            self.sock.close()
        handoff = _HANDOFF.search(message)
        if handoff is None:
            raise RuntimeError("the sign-in gave no hand-off")
        parts = urlsplit(self.url)
        started = time.time() * 1000
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_S)
        connection.request("GET", handoff.group(0))
        response = connection.getresponse()
        cookie = response.getheader("set-cookie") or ""
        connection.close()
        self.recorder.add(started, "signin_cookie", time.time() * 1000 - started)
        token = re.search(r"harmony_session=([^;]+)", cookie)
        if token is None:
            raise RuntimeError(f"the cookie route set no session ({response.status})")
        return token.group(1)

    def units(self) -> list:
        if self.person.kind == "official":
            return [self._home, self._decide, self._lookup, self._pq_list]
        return [self._home, self._pq_list, self._note, self._file]

    def _home(self) -> None:
        self.open("open_home", "/")
        self.think()

    def _pq_list(self) -> None:
        self.open("open_pq_list", "/pq/")
        self.think()

    def _note(self) -> None:
        page = f"/pq/{self.rng.choice(self.person.pq_ids)}/"
        self.open("open_pq", page)
        self.think()
        self.act("save_note", self.names["save_note"],
                 {"form": {"note_type": "General", "status": "Pending", "note": "Load benchmark note: any update?"}},
                 page, "The note was saved")
        self.think()

    def _file(self) -> None:
        if not self.person.targets or self.rng.random() >= FILE_SHARE:
            return
        org, role = self.person.targets.pop()
        self.open("open_request_form", "/roles/request/")
        self.think()
        form = {"organization": org, "role": role, "justification": "Load benchmark request, please approve."}
        self.act("file_request", self.names["file_request"], {"form": form}, "/roles/request/", '"_redirect"')
        self.think()

    def _decide(self) -> None:
        page = "/security-official/requests/"
        rows = self._queue(self.open("open_dashboard", page))
        self.recorder.queue_rows.append(len(rows))
        self.think()
        if rows:
            self.act("toggle", self.names["toggle"], {"request_id": rows[0]["id"], "checked": True}, page,
                     '"selected_rx_state_"')
            self.think()
            self.act("approve", self.names["approve"], {}, page, "request(s) approved")
            self.think()

    def _lookup(self) -> None:
        page = "/security-official/users/"
        self.open("open_lookup", page)
        self.think()
        self.act("lookup", self.names["lookup"],
                 {"form": {"organization": self.person.org, "user_id_or_email": self.rng.choice(self.person.lookups)}},
                 page, self.names["lookup_state"])
        self.think()

    def _queue(self, messages: list[tuple[float, str]]) -> list[dict]:
        """The dashboard's queue as its last delta left it."""
        rows: list[dict] = []
        for _at, message in messages:
            if self.names["queue_feed"] in message:
                delta = json.loads(message.split(",", 1)[1])[1].get("delta", {})
                rows = delta.get(self.names["queue_feed"], {}).get("rows_rx_state_", rows)
        return rows


def _password() -> str:
    from tests.factories import PASSWORD

    return PASSWORD


class BareUser(SimUser):
    """The same rounds, events and think times against the bare app."""

    def __init__(self, url: str, kind: str, org: int, recorder: Recorder, stop: threading.Event, delay: float,
                 seed: int):
        super().__init__(url, recorder, stop, delay, seed)
        self.kind, self.page = kind, f"/?org={org}"

    def connect(self) -> None:
        self.sock = ReflexSocket(self.url)
        self.open("open_home", self.page)
        self.ready.set()
        try:
            self.think()
        except StepFailed:
            pass

    def _counter(self, kind: str, shared: bool = False) -> None:
        handler = "change_shared" if shared else "increment"
        self.act(kind, f"{BARE_COUNTER}.{handler}", {}, self.page, BARE_COUNTER)
        self.think()

    def _open(self, kind: str) -> None:
        self.open(kind, self.page)
        self.think()

    def units(self) -> list:
        """The portal's units, event for event: the same pages opened and events sent, in the same order."""
        def unit(*steps):
            def run():
                for kind, shared in steps:
                    if kind.startswith("open_"):
                        self._open(kind)
                    else:
                        self._counter(kind, shared)
            return run

        def maybe_file():
            if self.rng.random() < FILE_SHARE:
                unit(("open_request_form", False), ("file_request", True))()

        if self.kind == "official":
            return [unit(("open_home", False)), unit(("open_dashboard", False), ("toggle", False), ("approve", True)),
                    unit(("open_lookup", False), ("lookup", False)), unit(("open_pq_list", False))]
        return [unit(("open_home", False)), unit(("open_pq_list", False)),
                unit(("open_pq", False), ("save_note", False)), maybe_file]


# ---- One size: connect, measure a window, stop ------------------------------------------------


def _redis_memory() -> int | None:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL)
        used = int(client.info("memory")["used_memory"])
        client.close()
        return used
    except Exception:
        return None


def warm_up(users: list[SimUser]) -> None:
    """One round of each of ``users`` without thinking, before the memory baseline: what the
    first events load once (imports, caches, connection pools) is not charged to the users."""
    for user in users:
        user.think_s = (0.0, 0.0)
        user.connect()
        for unit in user.units():
            unit()
        user.sock.close()
    time.sleep(1)


_OUR_FRAME = re.compile(r"\((?:state|services)/|\((?:live\w*|web|db)\.py")


def profile_loop(backends: Backends, seconds: float) -> dict:
    """Sample the first worker's event loop with py-spy (idle samples too) and sort its time:
    waiting on PostgreSQL, in the database client, by the portal's handler and service function."""
    worker = max((pid for pid in backends.pids() if pid not in {p.pid for p in backends.processes}),
                 key=lambda pid: rss_kib([pid]))
    out = backends.workdir / "loop-profile.txt"
    subprocess.run([PYSPY, "record", "--idle", "-r", "50", "-d", str(max(1, int(seconds))), "--pid", str(worker),
                    "--format", "raw", "-o", str(out)], capture_output=True, check=False, timeout=seconds + 60)
    if not out.exists():
        return {"failed": "py-spy wrote nothing"}
    total, shares, handlers, services = 0, {}, {}, {}

    def add(table: dict, key: str, n: int) -> None:
        table[key] = table.get(key, 0) + n

    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack.startswith("_run_module_as_main"):  # the worker's main thread runs the event loop
            continue
        n, frames = int(count), stack.split(";")
        total += n
        if frames[-1].startswith(("EpollSelector.select", "BaseEventLoop._run_once")):
            add(shares, "idle", n)
        elif frames[-1].startswith("Connection.wait (psycopg"):
            add(shares, "waiting on PostgreSQL", n)
        elif any("sqlalchemy/" in f or "psycopg/" in f for f in frames):
            add(shares, "database client (SQLAlchemy, psycopg)", n)
        else:
            add(shares, "other (Reflex, the portal's own code, socket.io)", n)
        ours = [f for f in frames if _OUR_FRAME.search(f)]
        add(handlers, ours[0].split(" (")[0] if ours else "(Reflex only)", n)
        service = next((f for f in ours if "(services/" in f), "")
        if service:
            add(services, service.split(" (")[0], n)

    def pct(table: dict, top: int = 12) -> dict:
        return {k: round(100 * v / total, 1) for k, v in sorted(table.items(), key=lambda kv: -kv[1])[:top]}

    return {"samples": total, "loop_time_pct": pct(shares), "by_handler_pct": pct(handlers),
            "by_service_pct": pct(services)}


def drive(backends: Backends, users: list[SimUser], recorder: Recorder, stop: threading.Event,
          database: str = "") -> dict:
    """Start ``users`` (ramped), measure ``SECONDS`` once all are in, stop them; the figures."""
    pids = backends.pids()
    rss_before = rss_kib(pids)
    redis_before = _redis_memory() if len(backends.urls) > 1 else None
    ramp_started = time.monotonic()
    for user in users:
        user.start()
    for user in users:
        user.ready.wait(timeout=max(0.0, user.delay + 120 - (time.monotonic() - ramp_started)))
    ramp_s = time.monotonic() - ramp_started
    connected = sum(1 for u in users if u.sock is not None and not u.sock.closed and u.is_alive())
    pids = backends.pids()
    two_nodes = len(backends.urls) > 1
    before = Snapshot.take(pids, database, two_nodes)
    window_start = time.time() * 1000
    profile: dict = {}
    profiler = None
    if PYSPY and SECONDS > 4:
        def sample() -> None:
            profile.update(profile_loop(backends, SECONDS - 4))
        profiler = threading.Thread(target=sample, daemon=True)
        profiler.start()
    stop.wait(SECONDS)
    window_end = time.time() * 1000
    after = Snapshot.take(pids, database, two_nodes)
    still_connected = sum(1 for u in users if u.sock is not None and not u.sock.closed and u.is_alive())
    redis_after = _redis_memory() if len(backends.urls) > 1 else None
    stop.set()
    for user in users:
        user.join(timeout=TIMEOUT_S + 5)
    if profiler is not None:
        profiler.join(timeout=60)

    in_window = [s for s in recorder.samples if window_start <= s[0] < window_end]
    done = [s for s in in_window if s[2] is not None]
    by_kind: dict[str, list[float]] = {}
    for _sent, kind, ms, _problem in done:
        by_kind.setdefault(kind, []).append(ms)
    errors: dict[str, int] = {}
    for _sent, _kind, _ms, problem in in_window:
        if problem:
            errors[problem] = errors.get(problem, 0) + 1
    signin = {kind: summary([s[2] for s in recorder.samples if s[1] == kind and s[2] is not None])
              for kind in ("open_login", "signin_password", "signin_code", "signin_cookie")
              if any(s[1] == kind and s[2] is not None for s in recorder.samples)}
    page_ms = [ms for kind, values in by_kind.items() if kind.startswith("open_") for ms in values]
    action_ms = [ms for kind, values in by_kind.items() if not kind.startswith("open_") for ms in values]
    result = {
        "users": len(users), "connected_at_window": connected, "connected_at_end": still_connected,
        "connect_failures": recorder.connect_failures, "ramp_s": round(ramp_s, 1),
        "window_s": round((window_end - window_start) / 1000, 1),
        "events": len(in_window), "events_per_s": round(len(in_window) / ((window_end - window_start) / 1000), 1),
        "round_trip": summary([s[2] for s in done]) if done else None,
        "page_open": summary(page_ms) if page_ms else None,
        "action": summary(action_ms) if action_ms else None,
        "by_kind": {kind: summary(values) for kind, values in sorted(by_kind.items())},
        "errors": errors, "error_rate_pct": round(100 * sum(errors.values()) / max(1, len(in_window)), 2),
        "error_examples": recorder.problems,
        "server_rss_mib_before": round(rss_before / 1024, 1),
        "server_rss_mib_during": round(after.server_rss_kib / 1024, 1),
        "server_rss_kib_per_user": round((after.server_rss_kib - rss_before) / max(1, connected), 1),
        **_usage(before, after, len(done)),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    if signin:
        result["sign_in_during_ramp"] = signin
    if profile:
        result["event_loop_profile"] = profile
    if redis_before is not None and redis_after is not None:
        result["redis_used_memory_kib_per_user"] = round((redis_after - redis_before) / 1024 / max(1, connected), 1)
    return result


def _delays(count: int) -> list[float]:
    return [i / RAMP_PER_S for i in range(count)]


def run_portal_size(size: int, nodes: int) -> dict:
    rng = random.Random(size)
    with postgres_database() as url:
        started = time.monotonic()
        people = seed_portal(url, size, rng)
        seed_s = time.monotonic() - started
        backends = start_backends("portal", nodes, database_url=url)
        try:
            recorder, stop = Recorder(), threading.Event()
            signed_in = [p for p in people if p.token]  # a second real sign-in would reuse the same code
            warm = [next(p for p in signed_in if p.kind == kind) for kind in ("official", "provider")]
            # The same people in another tab: what the warm-up files is gone from their own list.
            warm_up([PortalUser(backends.urls[i % nodes], p, Recorder(), threading.Event(), 0, seed=-1 - i)
                     for i, p in enumerate(warm)])
            users = [PortalUser(backends.urls[i % nodes], person, recorder, stop, delay, seed=i)
                     for i, (person, delay) in enumerate(zip(people, _delays(len(people)), strict=True))]
            result = drive(backends, users, recorder, stop, database=url.rsplit("/", 1)[1])
        finally:
            backends.stop()
    rows = recorder.queue_rows
    result.update({"seed_s": round(seed_s, 1), "organizations": max(2, -(-size // PER_ORG)),
                   "queue_rows_mean": round(sum(rows) / len(rows), 1) if rows else None})
    return result


def run_bare_size(size: int, nodes: int, rows: int) -> dict:
    orgs = max(2, -(-size // PER_ORG))
    backends = start_backends("bare", nodes, bare_rows=rows)
    try:
        recorder, stop = Recorder(), threading.Event()
        kinds = ["official" if n // orgs == 0 else "provider" for n in range(size)]
        order = list(range(size))
        random.Random(size).shuffle(order)  # interleaved as the portal's people are
        warm_up([BareUser(backends.urls[i % nodes], kind, i, Recorder(), threading.Event(), 0, seed=-1 - i)
                 for i, kind in enumerate(("official", "provider"))])
        users = [BareUser(backends.urls[i % nodes], kinds[n], n % orgs, recorder, stop, delay, seed=i)
                 for i, (n, delay) in enumerate(zip(order, _delays(size), strict=True))]
        result = drive(backends, users, recorder, stop)
    finally:
        backends.stop()
    result.update({"organizations": orgs, "shared_rows": rows})
    return result


# ---- Live propagation: one change, every open dashboard --------------------------------------


def _connect_all(make, count: int) -> list:
    """``count`` clients made by ``make(i)``, several at a time (each waits for its page)."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(make, range(count)))


def _arrivals(clients: list[ReflexSocket], text: str, sent: float) -> tuple[list[float], int]:
    latencies, missing = [], 0
    deadline = time.monotonic() + TIMEOUT_S  # one wait for all: a change that never comes costs 30 s, not 30 s each
    for client in clients:
        at = client.wait_for(text, timeout=max(0.0, deadline - time.monotonic()))
        if at is None:
            missing += 1
        else:
            latencies.append(at - sent)
    return latencies, missing


def live_portal(dashboards: int, nodes: int) -> dict:
    """``dashboards`` officials of one organization on their Role Requests page; requesters file by socket."""
    from tests import factories

    page = "/security-official/requests/"
    names = _portal_names()
    with postgres_database() as url:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as s:
            s.add(WeeklyMaintenance(id=1, active=False))
            org = factories.org(s, "LIVE", "Live Benchmark Home")
            official_tokens, requester_tokens = [], []
            for i in range(dashboards + LIVE_REQUESTS):
                person = factories.user(s, f"live{i}", first_name="Live", last_name=f"Lv{i}x")
                factories.enrol(s, person)
                if i < dashboards:
                    factories.grant(s, person, org, SECURITY_OFFICIAL)
                    official_tokens.append(start_session(s, person, second_factor=True))
                else:
                    requester_tokens.append((f"Lv{i}x", start_session(s, person, second_factor=True)))
            s.commit()
        engine.dispose()
        backends = start_backends("portal", nodes, database_url=url)
        try:
            pids = backends.pids()
            rss_before = rss_kib(pids)

            def dashboard(i: int) -> ReflexSocket:
                client = ReflexSocket(backends.urls[i % nodes], session_token=official_tokens[i])
                client.open_page(page)
                if client.wait_for("selection_epoch_rx_state_", timeout=120) is None:
                    raise AssertionError("a dashboard never received its queue")
                return client

            started = time.monotonic()
            clients = _connect_all(dashboard, dashboards)
            connect_s = time.monotonic() - started
            time.sleep(2)  # the last links settle
            rss_open = rss_kib(backends.pids())
            database = url.rsplit("/", 1)[1]
            before = Snapshot.take(backends.pids(), database, nodes > 1)
            latencies, own, missing = [], [], 0
            for last_name, token in requester_tokens:
                asker = ReflexSocket(backends.urls[0], session_token=token)
                asker.open_page("/roles/request/")
                asker.wait_for(HYDRATED, timeout=TIMEOUT_S)
                asker.forget()
                sent = time.time() * 1000
                form = {"organization": "LIVE", "role": STAFF, "justification": "Live benchmark request, approve."}
                asker.send(names["file_request"], {"form": form}, "/roles/request/")
                if (reply := asker.wait_for('"_redirect"', timeout=TIMEOUT_S)) is not None:
                    own.append(reply - sent)
                seen, lost = _arrivals(clients, f'"{last_name}"', sent)
                latencies += seen
                missing += lost
                asker.close()
                time.sleep(0.5)
            after = Snapshot.take(backends.pids(), database, nodes > 1)
            for client in clients:
                client.close()
        finally:
            backends.stop()
    return {"dashboards": dashboards, "requests": LIVE_REQUESTS, "nodes": nodes,
            "connect_all_s": round(connect_s, 1),
            "server_rss_kib_per_dashboard": round((rss_open - rss_before) / dashboards, 1),
            "requester_round_trip": summary(own) if own else None,
            "send_to_row_on_every_dashboard": summary(latencies) if latencies else None,
            "missed": missing, **_usage(before, after, LIVE_REQUESTS)}


def live_bare(dashboards: int, nodes: int, rows: int, variant: str) -> dict:
    """``dashboards`` clients of the bare app and one change sent by another client.

    ``one_list``: every dashboard linked to one organization's list, Reflex fans the change out.
    ``feed_each``: a feed per dashboard, written one after another (the portal's way).
    """
    backends = start_backends("bare", nodes, bare_rows=rows)
    try:
        pids = backends.pids()
        rss_before = rss_kib(pids)

        def client_at(i: int, page: str) -> ReflexSocket:
            client = ReflexSocket(backends.urls[i % nodes])
            client.open_page(page)
            if client.wait_for(HYDRATED, timeout=120) is None:
                raise AssertionError("a bare dashboard never loaded")
            return client

        def dashboard(i: int) -> ReflexSocket:
            return client_at(i, "/?org=live" if variant == "one_list" else f"/?feed={i}")

        started = time.monotonic()
        clients = _connect_all(dashboard, dashboards)
        connect_s = time.monotonic() - started
        time.sleep(2)
        rss_open = rss_kib(backends.pids())
        before = Snapshot.take(backends.pids(), "", nodes > 1)
        # The sender of a shared-list change is one more client of that list.
        page = "/?org=live" if variant == "one_list" else "/?org=sender"
        sender = client_at(0, page)
        latencies, own, missing = [], [], 0
        for r in range(LIVE_REQUESTS):
            label = f"LiveRow{r}x"
            sender.forget()
            sent = time.time() * 1000
            if variant == "one_list":
                sender.send(f"{BARE_COUNTER}.change_shared", {"label": label}, page)
            else:
                sender.send(f"{BARE_COUNTER}.change_each", {"label": label, "count": dashboards}, page)
            if (reply := sender.wait_for(BARE_COUNTER, timeout=TIMEOUT_S)) is not None:
                own.append(reply - sent)
            seen, lost = _arrivals(clients, f'"{label}"', sent)
            latencies += seen
            missing += lost
            time.sleep(0.5)
        after = Snapshot.take(backends.pids(), "", nodes > 1)
        for client in [*clients, sender]:
            client.close()
    finally:
        backends.stop()
    return {"dashboards": dashboards, "variant": variant, "requests": LIVE_REQUESTS, "nodes": nodes,
            "shared_rows": rows, "connect_all_s": round(connect_s, 1),
            "server_rss_kib_per_dashboard": round((rss_open - rss_before) / dashboards, 1),
            "requester_round_trip": summary(own) if own else None,
            "send_to_row_on_every_dashboard": summary(latencies) if latencies else None,
            "missed": missing, **_usage(before, after, LIVE_REQUESTS)}


# ---- The run ----------------------------------------------------------------------------------


def _ratio(portal: dict | None, bare: dict | None, key: str, stat: str) -> float | None:
    try:
        return round(portal[key][stat] / bare[key][stat], 2)
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def _over_pairs(ratios: list[dict]) -> dict:
    """Each ratio's median, lowest and highest over the portal/bare pairs of one size."""
    over = {"pairs": len(ratios)}
    for key in ratios[0]:
        values = sorted(r[key] for r in ratios if r.get(key) is not None)
        if values:
            over[key] = {"median": round(statistics.median(values), 2), "min": values[0], "max": values[-1]}
    return over


def _attempt(label: str, fn, *args) -> dict:
    """One phase; a phase that cannot run (too many users for the machine) is reported, not fatal."""
    print(f"-- {label}", flush=True)
    started = time.monotonic()
    try:
        result = fn(*args)
    except Exception as exc:
        result = {"failed": f"{type(exc).__name__}: {exc}"[:1000]}
    result["phase_s"] = round(time.monotonic() - started, 1)
    print(json.dumps({k: v for k, v in result.items() if k in (
        "users", "dashboards", "events_per_s", "round_trip", "errors", "send_to_row_on_every_dashboard",
        "server_cpu_cores", "server_rss_kib_per_user", "failed", "phase_s")}), flush=True)
    return result


def _stop_on_sigterm() -> None:
    """`timeout` and CI send SIGTERM: unwind, so every backend started is stopped by its finally."""
    def stop(_signum, _frame):
        raise SystemExit(143)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def run() -> dict:
    _stop_on_sigterm()
    # The servers and this process (which seals the two-factor secrets it seeds) share one key.
    os.environ["HARMONY_SECRET_KEY"] = SECRET_KEY
    get_settings.cache_clear()
    threading.stack_size(512 * 1024)  # a thousand threads for 500 users: small stacks
    settings = {"nodes": NODES, "window_s": SECONDS, "think_s": list(THINK_S), "ramp_users_per_s": RAMP_PER_S,
                "signin_share": SIGNIN_SHARE, "file_share": FILE_SHARE, "apps": APPS, "repeat": REPEAT,
                "py_spy": bool(PYSPY), "database": "PostgreSQL (throwaway)",
                "state": f"redis ({REDIS_URL}), 1 worker per node" if NODES > 1 else "memory, 1 worker"}
    results: dict = {"settings": settings, "load": {}, "live": {}, "ratios": {}}
    rows = 10
    for size in SIZES:
        runs, ratios = [], []
        for repeat in range(REPEAT):
            entry = {}
            label = f"{size} users, {NODES} node(s)" + (f", run {repeat + 1}" if REPEAT > 1 else "")
            if "portal" in APPS:
                entry["portal"] = _attempt(f"portal, {label}", run_portal_size, size, NODES)
                rows = max(1, round(entry["portal"].get("queue_rows_mean") or rows))
            if "bare" in APPS:
                entry["bare"] = _attempt(f"bare, {label}", run_bare_size, size, NODES, rows)
            runs.append(entry)
            ratios.append({
                "event_p95": _ratio(entry.get("portal"), entry.get("bare"), "round_trip", "p95_ms"),
                "event_median": _ratio(entry.get("portal"), entry.get("bare"), "round_trip", "median_ms"),
                "page_open_p95": _ratio(entry.get("portal"), entry.get("bare"), "page_open", "p95_ms"),
                "action_p95": _ratio(entry.get("portal"), entry.get("bare"), "action", "p95_ms"),
            })
        results["load"][str(size)] = runs
        results["ratios"][f"{size}_users"] = ratios
        if len(ratios) > 1:  # one pair can mislead on a shared machine: the middle of all of them
            results["ratios"][f"{size}_users_over_pairs"] = _over_pairs(ratios)
    for dashboards in LIVE:
        entry = {}
        if "portal" in APPS:
            entry["portal"] = _attempt(f"live, portal, {dashboards} dashboards", live_portal, dashboards, NODES)
        if "bare" in APPS:
            entry["bare_feed_each"] = _attempt(f"live, bare, a feed per dashboard, {dashboards} dashboards",
                                               live_bare, dashboards, NODES, rows, "feed_each")
            if dashboards <= LIVE_ONE_LIST_MAX:
                entry["bare_one_list"] = _attempt(f"live, bare, one shared list, {dashboards} dashboards",
                                                  live_bare, dashboards, NODES, rows, "one_list")
            else:
                entry["bare_one_list"] = {"skipped": f"more than BENCH_LIVE_ONE_LIST_MAX={LIVE_ONE_LIST_MAX} "
                                                     "dashboards: linking them all to one token takes too long"}
        results["live"][str(dashboards)] = entry
        results["ratios"][f"live_{dashboards}"] = {
            f"{stat}_vs_{variant}": _ratio(entry.get("portal"), entry.get(f"bare_{variant}"),
                                            "send_to_row_on_every_dashboard", f"{stat}_ms")
            for variant in ("feed_each", "one_list") for stat in ("median", "p95")}
    return results


if __name__ == "__main__":
    write_results("load", run())
