"""Production logs: one JSON object per line, with ids, and no secrets."""

import asyncio
import io
import json
import logging
import secrets
from datetime import datetime
from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from harmony_portal.server import log_context, logging_setup
from harmony_portal.server.event_log import EventLogContext
from harmony_portal.server.logging_setup import REDACTED, redact
from harmony_portal.settings import Settings
from tests.state.conftest import run_async

SESSION_TOKEN = secrets.token_urlsafe(32)  # what a harmony_session cookie holds
log = logging.getLogger("harmony_portal.test_logging")


@pytest.fixture
def json_lines():
    """The root logger writes through the production handler into a buffer; returns the parsed lines."""
    stream = io.StringIO()
    handler = logging_setup.json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(("text", "secret"), [
    # Fixed ids where the value is random: every xdist worker must collect the same names.
    pytest.param(f"Cookie: theme=dark; harmony_session={SESSION_TOKEN}", SESSION_TOKEN, id="cookie-header"),
    pytest.param(f"set harmony_session={SESSION_TOKEN}; Path=/", SESSION_TOKEN, id="set-cookie"),
    pytest.param(f"handshake for {SESSION_TOKEN} refused", SESSION_TOKEN, id="bare-token"),
    ("login failed: password=Glacier-Bay-Kayak", "Glacier-Bay-Kayak"),
    ("form {'user_id': 'kaya', 'password': 'correct horse battery staple'}", "horse battery"),
    ('{"new_password": "Juneau rain all week", "user_id": "kaya"}', "Juneau rain"),
    ("user typed TOTP code 492039 twice", "492039"),
    ("security code: 118822 rejected", "118822"),
    ("recovery code abcde-fghjk used", "abcde-fghjk"),
    ("GET /auth/reset?token=Zq8xTT2mPp0aa1&next=/ 200", "Zq8xTT2mPp0aa1"),
    ("GET /auth/session?code=kq81Mn3&next=/pq 303", "kq81Mn3"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGci"),
    ("headers {'authorization': 'Basic cG9ydGFsOnB3', 'accept': '*/*'}", "cG9ydGFsOnB3"),
    ("could not connect to postgresql+psycopg://portal:pw-Secret-1@db:5432/portal", "pw-Secret-1"),
    ("stored $argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo for kaya", "c2FsdHNhbHQ"),
])
def test_secrets_are_redacted(text, secret):
    out = redact(text)
    assert secret not in out and REDACTED in out


@pytest.mark.parametrize("text", [
    "PQ 42 saved by user 7 in 12.5 ms",
    "attachment 5 fails its integrity check",
    "error in harmony_portal.services.pq.attachments.attach_files",
    "request returned status_code=500 after 3 retries",
    "banner pushed to 100 pages in 109.0 ms",
])
def test_ordinary_lines_are_left_alone(text):
    assert redact(text) == text


def test_a_line_is_json_with_time_level_logger_message_and_ids(json_lines):
    _request_id, tokens = log_context.bind_request("nginx-4f2a9c1b")
    log_context.bind_user(42)
    try:
        log.warning("sign-in for %s failed with password=%s", "kaya", "Glacier-Bay-Kayak")
    finally:
        log_context.reset(tokens)
    log.info("no request here")
    first, second = json_lines()
    assert first["message"] == f"sign-in for kaya failed with password={REDACTED}"
    assert (first["level"], first["logger"]) == ("warning", "harmony_portal.test_logging")
    assert (first["request_id"], first["user_id"]) == ("nginx-4f2a9c1b", 42)
    assert first["time"].endswith("Z") and datetime.fromisoformat(first["time"])
    assert set(second) == {"time", "level", "logger", "message"}  # nothing carried over


def test_an_exception_is_redacted_too(json_lines):
    try:
        raise ValueError(f"bad cookie harmony_session={SESSION_TOKEN}")
    except ValueError:
        log.exception("handler failed")
    [line] = json_lines()
    assert "ValueError" in line["exception"] and SESSION_TOKEN not in json.dumps(line)


def test_a_websocket_event_gets_its_own_id_and_user_and_keeps_them_to_itself(json_lines):
    async def event():
        await EventLogContext().preprocess(app=None, state=None, event=SimpleNamespace(name="pq_state.save"))
        log_context.bind_user(7)
        log.info("saved")

    async def server():
        await asyncio.gather(asyncio.create_task(event()), asyncio.create_task(event()))
        log.info("between events")

    run_async(server())  # on its own thread: browser tests may own this thread's loop
    first, second, between = json_lines()
    assert first["event"] == second["event"] == "pq_state.save" and first["user_id"] == 7
    assert first["event_id"] != second["event_id"] and len(first["event_id"]) == 16
    assert "event_id" not in between and "user_id" not in between


def test_http_requests_carry_a_request_id_into_their_lines_and_response(json_lines, monkeypatch, tmp_path):
    from harmony_portal.server import health
    from harmony_portal.server.web import http_routes
    from harmony_portal.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://portal:pw-Secret-1@127.0.0.1:1/portal")
    get_settings.cache_clear()
    health._recent.clear()
    try:
        client = TestClient(http_routes())
        given = client.get("/health", headers={"X-Request-ID": "nginx-4f2a9c1b"})
        made = client.get("/blank-nothing-here")
    finally:
        get_settings.cache_clear()
        health._recent.clear()
    assert given.headers["x-request-id"] == "nginx-4f2a9c1b"
    assert len(made.headers["x-request-id"]) == 16  # one made here when none (or a bad one) came in
    [line] = [line for line in json_lines() if line["logger"] == "harmony_portal.server.health"]
    assert line["request_id"] == "nginx-4f2a9c1b" and "pw-Secret-1" not in json.dumps(line)


def test_production_switches_the_root_logger_to_json_once_and_development_changes_nothing():
    root = logging.getLogger()
    before = list(root.handlers), root.level
    assert logging_setup.configure_logging(Settings(harmony_env="development")) is False
    assert (list(root.handlers), root.level) == before
    stream = io.StringIO()
    try:
        assert logging_setup.configure_logging(Settings(harmony_env="production"), stream=stream)
        assert logging_setup.configure_logging(Settings(harmony_env="production"), stream=stream)
        ours = [h for h in root.handlers if h not in before[0]]
        assert len(ours) == 1
        logging.getLogger("reflex.state").error("event failed for token=%s", SESSION_TOKEN)
        line = json.loads(stream.getvalue().splitlines()[-1])
        assert line["logger"] == "reflex.state" and SESSION_TOKEN not in line["message"]
    finally:
        for handler in list(root.handlers):
            if handler not in before[0]:
                root.removeHandler(handler)
        root.setLevel(before[1])
        logging.captureWarnings(False)


def test_granian_logs_through_the_same_handler_in_production_only():
    import importlib

    assert logging_setup.granian_log_config(Settings(harmony_env="development")) is None
    config = logging_setup.granian_log_config(Settings(harmony_env="production"))
    for name in ("console", "access"):
        module, _, factory = config["handlers"][name]["()"].rpartition(".")
        assert getattr(importlib.import_module(module), factory) is logging_setup.json_handler
