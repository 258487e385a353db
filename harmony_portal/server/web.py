"""HTTP in front of Reflex: every route the portal serves itself, and the websocket's gate.

The routes: the session cookie's (``session_cookie``), files (``downloads``), and
``/health`` for load balancers and monitors (database and Redis reachable or not, see
``health``), without sign-in. Every HTTP request runs with a request id (``log_context``)
that its log lines carry and its response returns as ``X-Request-ID``.

The gate refuses, before Reflex sees them, socket connections whose client
token is not a random UUID (a client may otherwise pick the token of a shared
state and read it) or whose page comes from another origin.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from harmony_portal import routes
from harmony_portal.server import health, log_context
from harmony_portal.server.downloads import (
    blank_access_form,
    download_access_form,
    download_attachment,
    download_signing_record,
    export_audit_log,
    export_review,
)
from harmony_portal.server.session_cookie import no_store, sign_out, take_session
from harmony_portal.settings import get_settings

# The shape of the client tokens Reflex's frontend makes ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
# its "y" is not always a proper RFC 4122 variant, so any hex digit there).
_CLIENT_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
_EVENT_PATH = "/_event"
_log = logging.getLogger(__name__)


def health_check(request: Request):
    """200 when the database (and Redis, if configured) answer; 503 naming what failed."""
    healthy, body = health.check(get_settings())
    return no_store(JSONResponse(body, status_code=200 if healthy else 503))


def http_routes() -> Starlette:
    """Routes served before Reflex's own (plain functions: Starlette runs them off the event loop).

    Reflex mounts its whole app inside this one, so the request-id middleware sees every
    HTTP request, Reflex's included.
    """
    return Starlette(routes=[
        Route(routes.SESSION_HANDOFF, take_session, methods=["GET"]),
        Route(routes.SIGN_OUT, sign_out, methods=["GET"]),
        Route(routes.ATTACHMENT_DOWNLOAD, download_attachment, methods=["GET"]),
        Route(routes.ACCESS_FORM_DOWNLOAD, download_access_form, methods=["GET"]),
        Route(routes.BLANK_ACCESS_FORM, blank_access_form, methods=["GET"]),
        Route(routes.SIGNING_RECORD, download_signing_record, methods=["GET"]),
        Route(routes.AUDIT_EXPORT, export_audit_log, methods=["GET"]),
        Route(routes.REVIEW_EXPORT, export_review, methods=["GET"]),
        Route(routes.HEALTH, health_check, methods=["GET"]),
    ], middleware=[Middleware(log_context.RequestContextMiddleware)])


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
