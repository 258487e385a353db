"""The HTTP routes in front of Reflex: the HttpOnly session cookie and the websocket gate."""

import uuid

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from harmony_portal.db import session_scope
from harmony_portal.services import sessions
from harmony_portal.web import SESSION_COOKIE, guard_event_socket, http_routes


@pytest.fixture
def client(app_db):
    return TestClient(http_routes(), base_url="http://localhost:3000", follow_redirects=False)


@pytest.fixture
def handoff(app_db, make):
    def new(second_factor=True):
        with session_scope() as s:
            user = make.user(s)
            return sessions.sign_in(s, user, second_factor=second_factor)
    return new


def test_the_code_becomes_an_httponly_strict_cookie_once(client, handoff):
    code = handoff()
    first = client.get("/auth/session", params={"code": code, "next": "/profile"})
    assert first.status_code == 303 and first.headers["location"] == "/profile"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert first.headers["cache-control"] == "no-store"
    token = cookie.split(";")[0].split("=", 1)[1]
    with session_scope() as s:
        assert sessions.resolve_session(s, token).second_factor
    again = client.get("/auth/session", params={"code": code, "next": "/profile"})
    assert again.status_code == 303 and "set-cookie" not in again.headers
    assert again.headers["location"].startswith("/login?reason=expired")


@pytest.mark.parametrize("next_path", ["//evil.example", "/\t/evil.example", "https://evil.example/", "/nowhere"])
def test_the_cookie_route_only_goes_to_portal_pages(client, handoff, next_path):
    response = client.get("/auth/session", params={"code": handoff(), "next": next_path})
    assert response.headers["location"] == "/"


def test_secure_outside_plain_http_development(client, handoff, monkeypatch):
    from harmony_portal.settings import get_settings

    monkeypatch.setenv("HARMONY_BASE_URL", "https://portal.example.org")
    get_settings.cache_clear()
    try:
        response = client.get("/auth/session", params={"code": handoff(), "next": "/"})
        assert "secure" in response.headers["set-cookie"].lower()
    finally:
        get_settings.cache_clear()


def test_sign_out_revokes_the_session_then_clears_the_cookie(client, handoff):
    token = client.get("/auth/session", params={"code": handoff(), "next": "/"}).cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, token)
    response = client.get("/auth/signout", params={"reason": "https://evil.example"})
    assert response.headers["location"] == "/login?reason=signed-out"
    assert 'Max-Age=0' in response.headers["set-cookie"] and "httponly" in response.headers["set-cookie"].lower()
    with session_scope() as s:
        assert sessions.resolve_session(s, token) is None


def _echo_app():
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("open")
        await websocket.close()
    return guard_event_socket(Starlette(routes=[WebSocketRoute("/_event/", echo)]))


@pytest.mark.parametrize("token", ["officials1", "feed" + "a" * 64, "", "../x", str(uuid.uuid4()).upper()])
def test_the_gate_refuses_client_tokens_that_are_not_random_uuids(token):
    with TestClient(_echo_app()) as client, pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(f"/_event/?token={token}&EIO=4&transport=websocket") as ws:
            ws.receive_text()


def test_the_gate_refuses_other_origins_and_lets_the_portal_in():
    url = f"/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
    with TestClient(_echo_app()) as client:
        with pytest.raises(WebSocketDisconnect), client.websocket_connect(
                url, headers={"origin": "https://evil.example"}) as ws:
            ws.receive_text()
        with client.websocket_connect(url, headers={"origin": "http://localhost:3000"}) as ws:
            assert ws.receive_text() == "open"
