"""Having trouble logging in: the request answers at once and shows a rate limit."""

import smtplib

from reflex.state import State
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import OutboxEmail
from harmony_portal.settings import get_settings
from harmony_portal.state.forgot import ForgotState
from tests.state.conftest import run_async


async def _forgot_state() -> ForgotState:
    return await State().get_state(ForgotState)


def test_reset_request_only_queues_the_email(app_db, make, monkeypatch):
    with session_scope() as s:
        make.user(s, "queued", email="queued@example.org")
    connections = []

    def refuse_to_connect(*args, **kwargs):
        connections.append(args)
        raise OSError("no SMTP inside the request")

    monkeypatch.setattr(smtplib, "SMTP", refuse_to_connect)
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:2525")
    get_settings.cache_clear()
    try:
        async def scenario():
            state = await _forgot_state()
            ForgotState.request_link.fn(state, {"email": "queued@example.org"})
            return state.sent_message
        assert "reset link is on its way" in run_async(scenario())
    finally:
        monkeypatch.delenv("SMTP_URL")
        get_settings.cache_clear()
    assert connections == []  # no SMTP conversation inside the request
    with session_scope() as s:
        assert [e.to_address for e in s.exec(select(OutboxEmail))] == ["queued@example.org"]


def test_too_many_reset_requests_are_refused_with_a_wait(app_db):
    async def scenario():
        state = await _forgot_state()
        for _ in range(6):
            ForgotState.request_link.fn(state, {"email": "someone@example.org"})
        return state.sent_message, state.error

    sent, error = run_async(scenario())
    assert sent == "" and "Try again in" in error
