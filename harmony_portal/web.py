"""HTTP in front of Reflex: the session cookie's routes and the websocket's gate.

Reflex's own cookies are written by page script, so any script on the origin
could read them. The session cookie is set here instead, by an HTTP response,
``HttpOnly; SameSite=Strict; Path=/`` (and ``Secure`` outside plain-HTTP
development); the websocket handshake carries it, and state reads it from the
handshake's headers on every event.

The gate refuses, before Reflex sees them, socket connections whose client
token is not a random UUID (a client may otherwise pick the token of a shared
state and read it) or whose page comes from another origin.
"""

from __future__ import annotations

import json
import re
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.services.sessions import end_session, redeem_handoff
from harmony_portal.settings import get_settings

SESSION_COOKIE = "harmony_session"
# The shape of the client tokens Reflex's frontend makes ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
# its "y" is not always a proper RFC 4122 variant, so any hex digit there).
_CLIENT_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
_EVENT_PATH = "/_event"
_SIGN_OUT_REASONS = frozenset({"signed-out", "idle", "reset", "expired"})


def session_token_from(cookie_header: str) -> str:
    """The session token in a Cookie header, or ""."""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return ""
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel else ""


def _split_servers() -> bool:
    """True under `reflex run --env dev`, where the page and the backend have different ports."""
    from reflex_base.config import get_config

    config = get_config()
    return config.frontend_port is not None and config.frontend_port != config.backend_port


def _backend(path: str) -> str:
    if _split_servers():
        from reflex_base.config import get_config

        return get_config().api_url.rstrip("/") + path
    return path


def _frontend(path: str) -> str:
    return get_settings().harmony_base_url.rstrip("/") + path if _split_servers() else path


def load_page_script(url: str) -> str:
    """Script for rx.call_script: a full page load, so the next handshake carries the new cookie."""
    return f"window.location.assign({json.dumps(_backend(url))})"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the code is in this URL
    return response


def take_session(request: Request):
    """Trade the single-use code for the session cookie, then go where the user was going."""
    with session_scope() as session:
        token = redeem_handoff(session, request.query_params.get("code", ""))
    if token is None:
        return _no_store(RedirectResponse(_frontend(routes.login_url(reason="expired")), status_code=303))
    response = RedirectResponse(_frontend(routes.safe_next(request.query_params.get("next"))), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure)
    return _no_store(response)


def sign_out(request: Request):
    """End the session this browser holds (if any) and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        with session_scope() as session:
            end_session(session, token)
    reason = request.query_params.get("reason", "")
    response = RedirectResponse(
        _frontend(routes.login_url(reason=reason if reason in _SIGN_OUT_REASONS else "signed-out")),
        status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=get_settings().cookie_secure)
    return _no_store(response)


def http_routes() -> Starlette:
    """Routes served before Reflex's own (plain functions: Starlette runs them off the event loop)."""
    return Starlette(routes=[
        Route(routes.SESSION_HANDOFF, take_session, methods=["GET"]),
        Route(routes.SIGN_OUT, sign_out, methods=["GET"]),
    ])


def _refusal(scope: Scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    token = query.get("token", [""])[0]
    if not _CLIENT_TOKEN.fullmatch(token):
        return "client token must be a random UUID"
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    if origin and origin not in get_settings().allowed_origins:
        return "origin not allowed"
    return None


def guard_event_socket(app: ASGIApp) -> ASGIApp:
    """Wrap the ASGI app: refuse bad websocket handshakes on /_event before Reflex sees them."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith(_EVENT_PATH):
            if _refusal(scope) is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await PlainTextResponse("Forbidden", status_code=403)(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded
