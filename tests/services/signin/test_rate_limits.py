"""Rate limits per client IP and per account, on every door people knock on."""

import json
import re

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent
from harmony_portal.services.accounts import password_reset
from harmony_portal.services.accounts.signup import SignUpForm, sign_up
from harmony_portal.services.errors import Invalid, Locked, RateLimited
from harmony_portal.services.signin import authentication as auth
from harmony_portal.services.signin import rate_limits
from harmony_portal.settings import get_settings
from tests import redis_server

IP = "203.0.113.9"


def _limited_rows(session):
    return session.exec(select(AuditEvent).where(AuditEvent.action == "auth.rate_limited")).all()


def test_password_spraying_from_one_ip_is_stopped(session, clock, make):
    make.user(session, "sprayed")
    for n in range(30):
        with pytest.raises(Invalid):
            auth.check_password(session, f"victim{n}", "Winter2026!", ip=IP, now=clock.now())
    with pytest.raises(RateLimited) as limited:
        auth.check_password(session, "sprayed", "Winter2026!", ip=IP, now=clock.now())
    assert re.fullmatch(r"Too many attempts\. Try again in 1 minute\.", str(limited.value))
    # Another client is not held up by it.
    with pytest.raises(Invalid):
        auth.check_password(session, "sprayed", "Winter2026!", ip="198.51.100.7", now=clock.now())
    (row,) = _limited_rows(session)
    detail = json.loads(row.detail)
    assert row.ip == IP and detail["kind"] == "sign_in" and detail["scope"] == "ip"
    assert "Winter2026!" not in row.detail and IP not in detail["key"]


def test_one_account_hammered_from_many_ips_is_stopped(session, clock, make, monkeypatch):
    monkeypatch.setitem(rate_limits.RULES, "sign_in", rate_limits.Rule(per_ip=None, per_account="3 per hour"))
    user = make.user(session, "hammered")
    for n in range(3):
        assert auth.check_password(session, "Hammered", make.PASSWORD, ip=f"192.0.2.{n}", now=clock.now()).id == user.id
    with pytest.raises(RateLimited, match=r"Try again in 60 minutes"):
        auth.check_password(session, "hammered", make.PASSWORD, ip="192.0.2.99", now=clock.now())
    (row,) = _limited_rows(session)
    assert "hammered" not in row.detail.lower() and json.loads(row.detail)["scope"] == "account"


def test_second_factor_codes_are_limited_per_account(session, clock, make):
    user = make.user(session)
    make.enrol(session, user)
    for n in range(10):
        with pytest.raises((Invalid, Locked)):
            auth.check_security_code(session, user.id, "000000", ip=f"192.0.2.{n}", now=clock.now())
    with pytest.raises(RateLimited, match=r"Try again in 5 minutes"):
        auth.use_recovery_code(session, user.id, "aaaaa-bbbbb", ip="192.0.2.200", now=clock.now())


def test_reset_requests_are_limited_per_address_and_per_ip(session, clock, make):
    make.user(session, "resetting", email="r@example.org")
    for _ in range(5):
        password_reset.request_reset(session, "r@example.org", base_url="http://x", now=clock.now())
    with pytest.raises(RateLimited):
        password_reset.request_reset(session, "R@example.org", base_url="http://x", now=clock.now())
    for n in range(5):
        password_reset.request_reset(session, f"other{n}@example.org", base_url="http://x", ip=IP, now=clock.now())
    with pytest.raises(RateLimited):
        password_reset.request_reset(session, "fresh@example.org", base_url="http://x", ip=IP, now=clock.now())
    assert all("example.org" not in row.detail for row in _limited_rows(session))


def test_sign_ups_are_limited_per_ip(session, clock):
    for _ in range(10):
        with pytest.raises(Invalid):
            sign_up(session, SignUpForm(user_id="taken?"), ip=IP, now=clock.now())
    with pytest.raises(RateLimited):
        sign_up(session, SignUpForm(user_id="taken?"), ip=IP, now=clock.now())


@pytest.fixture(scope="session")
def redis_url():
    with redis_server.redis_url() as url:
        yield url


def test_counts_are_shared_through_redis_when_it_is_configured(session, clock, make, monkeypatch, redis_url):
    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    try:
        rate_limits.reset()
        assert type(rate_limits._storage()).__name__ == "RedisStorage"
        for _ in range(5):
            password_reset.request_reset(session, "shared@example.org", base_url="http://x", now=clock.now())
        with pytest.raises(RateLimited):
            password_reset.request_reset(session, "shared@example.org", base_url="http://x", now=clock.now())
        rate_limits.reset()
    finally:
        monkeypatch.delenv("REDIS_URL")
        get_settings.cache_clear()
        rate_limits.reset()


def test_the_limits_can_be_off_only_outside_production(session, clock, make, monkeypatch):
    from harmony_portal.settings import get_settings

    monkeypatch.setenv("HARMONY_RATE_LIMITS", "0")
    get_settings.cache_clear()
    try:
        make.user(session, "browser.tests")
        for n in range(40):  # the browser-test server signs in this often from one address
            with pytest.raises(Invalid):
                auth.check_password(session, f"nobody{n}", "Winter2026!", ip=IP, now=clock.now())
    finally:
        get_settings.cache_clear()
