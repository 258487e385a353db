"""The HttpOnly session cookie: set by an HTTP response, read from the websocket handshake.

Reflex's own cookies are written by page script, so any script on the origin could read
them. The session cookie is set here instead, ``HttpOnly; SameSite=Strict; Path=/`` (and
``Secure`` outside plain-HTTP development); the websocket handshake carries it, and state
reads it from the handshake's headers on every event.
"""

from __future__ import annotations

import json

from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.services.signin.sessions import end_session, redeem_handoff
from harmony_portal.settings import get_settings

SESSION_COOKIE = "harmony_session"


_SIGN_OUT_REASONS = frozenset({"signed-out", "idle", "reset", "expired", "ended"})


def session_token_from(cookie_header: str) -> str:
    """The session token in a Cookie header, or "".

    Parsed as browsers write the header and as Starlette reads it for the HTTP routes
    (``request.cookies``), so both sides always agree on who asks. ``http.cookies`` gives
    up on the whole header at the first value it dislikes (JSON, spaces), and another
    site's cookie on a parent domain would then sign every event out.
    """
    return cookie_parser(cookie_header or "").get(SESSION_COOKIE, "")


def _split_servers() -> bool:
    """True under `reflex run --env dev`, where the page and the backend have different ports."""
    from reflex_base.config import get_config

    config = get_config()
    return config.frontend_port is not None and config.frontend_port != config.backend_port


def backend_url(path: str) -> str:
    if _split_servers():
        from reflex_base.config import get_config

        return get_config().api_url.rstrip("/") + path
    return path


def frontend_url(path: str) -> str:
    return get_settings().harmony_base_url.rstrip("/") + path if _split_servers() else path


def load_page_script(url: str) -> str:
    """Script for rx.call_script: a full page load, so the next handshake carries the new cookie."""
    return f"window.location.assign({json.dumps(backend_url(url))})"


def download_script(url: str) -> str:
    """Script for rx.call_script: fetch ``url`` (an attachment response) while the page stays."""
    return f"window.location.assign({json.dumps(backend_url(url))})"


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the code is in this URL
    return response


def take_session(request: Request):
    """Trade the single-use code for the session cookie, then go where the user was going."""
    with session_scope() as session:
        token = redeem_handoff(session, request.query_params.get("code", ""))
    if token is None:
        return no_store(RedirectResponse(frontend_url(routes.login_url(reason="expired")), status_code=303))
    response = RedirectResponse(frontend_url(routes.safe_next(request.query_params.get("next"))), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure)
    return no_store(response)


def sign_out(request: Request):
    """End the session this browser holds (if any) and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        with session_scope() as session:
            end_session(session, token)
    reason = request.query_params.get("reason", "")
    response = RedirectResponse(
        frontend_url(routes.login_url(reason=reason if reason in _SIGN_OUT_REASONS else "signed-out")),
        status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=get_settings().cookie_secure)
    return no_store(response)
