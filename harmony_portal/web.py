"""HTTP in front of Reflex: the session cookie's routes, attachment downloads and the websocket's gate.

Reflex's own cookies are written by page script, so any script on the origin
could read them. The session cookie is set here instead, by an HTTP response,
``HttpOnly; SameSite=Strict; Path=/`` (and ``Secure`` outside plain-HTTP
development); the websocket handshake carries it, and state reads it from the
handshake's headers on every event.

The Harmony Access Request form of a PQ (``/pq/<id>/access-request.pdf``), filled in
from the PQ and its requester, follows the same rule and is audited too; the blank form
(``/forms/harmony-access-request.pdf``) is public.

Attachments download only through ``/pq/attachments/<id>``: the cookie must name a
session that passed the second factor and whose user may see that file; anything
else (signed out, password only, another organization, no such id) is the same
404. Every download is audited.

The Audit Log downloads as CSV from ``/admin/audit-log.csv`` (the page's filters as query
parameters), streamed in batches, for an administrator only; each export is audited.

``/health`` answers load balancers and monitors: database and Redis reachable
or not (see ``health``), without sign-in.

Every HTTP request runs with a request id (``log_context``) that its log lines
carry and its response returns as ``X-Request-ID``.

The gate refuses, before Reflex sees them, socket connections whose client
token is not a random UUID (a client may otherwise pick the token of a shared
state and read it) or whose page comes from another origin.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from harmony_portal import health, log_context, routes
from harmony_portal.db import session_scope
from harmony_portal.models import PQ, utc_now
from harmony_portal.services import attachments, audit, audit_log
from harmony_portal.services.access_form import BLANK_FILENAME, access_request_pdf, blank_access_request_pdf
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.pq_access import visible_attachment
from harmony_portal.services.sessions import end_session, redeem_handoff, resolve_session
from harmony_portal.settings import get_settings

SESSION_COOKIE = "harmony_session"
# The shape of the client tokens Reflex's frontend makes ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
# its "y" is not always a proper RFC 4122 variant, so any hex digit there).
_CLIENT_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
_EVENT_PATH = "/_event"
_SIGN_OUT_REASONS = frozenset({"signed-out", "idle", "reset", "expired", "ended"})
_log = logging.getLogger(__name__)


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


def download_script(url: str) -> str:
    """Script for rx.call_script: fetch ``url`` (an attachment response) while the page stays."""
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


def attachment_href(attachment_id: int) -> str:
    """The download link for a page (on the backend's port under `reflex run --env dev`)."""
    return _backend(routes.attachment_url(attachment_id))


def access_form_href(pq_id) -> str:
    """The link to a PQ's filled-in Access Request form (``pq_id`` may be a Reflex Var)."""
    return _backend(routes.access_form_url(pq_id))


def blank_access_form_href() -> str:
    """The link to the blank Harmony Access Request form."""
    return _backend(routes.BLANK_ACCESS_FORM)


def _client_ip(request: Request) -> str:
    hops = get_settings().harmony_trusted_proxy_hops
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.client.host if request.client else ""


def _not_found() -> PlainTextResponse:
    return _no_store(PlainTextResponse("Not Found", status_code=404))


def _content_disposition(filename: str) -> str:
    # The quoted form for old clients (ASCII, no quotes or backslashes), then the exact name.
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7f and ch not in '"\\' else "_" for ch in filename)
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


def download_attachment(request: Request):
    """Stream one attachment, decrypted, to a signed-in user who may see it; 404 for anyone else."""
    token = request.cookies.get(SESSION_COOKIE, "")
    attachment_id = request.path_params["attachment_id"]
    if not token:
        return _not_found()
    ip = _client_ip(request)
    with session_scope() as session:  # commits an expired session's ending even when refusing
        active = resolve_session(session, token)
        log_context.bind_user(active.user.id if active else None)
        found = None
        if active is not None and active.second_factor:
            try:
                found = visible_attachment(session, active.user, attachment_id)
            except NotAllowed:
                found = None
        if found is None:
            return _not_found()
        user_id = active.user.id
        organization_id = session.get(PQ, found.pq_id).organization_id
        pq_id, filename, content_type = found.pq_id, found.filename, found.content_type
        size, storage_key = found.size, found.storage_key
    try:
        chunks = attachments.open_plain(storage_key)
        first = next(chunks, b"")  # the first segment is checked before anything is sent
    except FileNotFoundError:
        _log.error("attachment %s has no stored file", attachment_id)
        return _not_found()
    except attachments.StoreDamaged:
        _log.error("attachment %s fails its integrity check", attachment_id)
        return _no_store(PlainTextResponse("This file can't be read. The help desk has been told.",
                                           status_code=500))
    with session_scope() as session:
        audit.record(session, "attachment.downloaded", actor_id=user_id, organization_id=organization_id,
                     target=f"attachment:{attachment_id}", ip=ip, pq_id=pq_id, size=size)

    def body():
        yield first
        yield from chunks

    media_type = content_type if content_type in attachments.EXTENSIONS else "application/octet-stream"
    response = StreamingResponse(body(), media_type=media_type, headers={
        "Content-Disposition": _content_disposition(filename),
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })
    return _no_store(response)


def download_access_form(request: Request):
    """A PQ's Access Request form, filled in, for a signed-in user who may see that PQ; 404 for anyone else."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return _not_found()
    ip = _client_ip(request)
    with session_scope() as session:  # commits an expired session's ending even when refusing
        active = resolve_session(session, token)
        log_context.bind_user(active.user.id if active else None)
        if active is None or not active.second_factor:
            return _not_found()
        try:
            filename, data = access_request_pdf(session, active.user, request.path_params["pq_id"], ip=ip)
        except (NotAllowed, Invalid):  # not visible, or not an Access Request: nothing to say about it
            return _not_found()
    return _no_store(Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }))


def blank_access_form(request: Request):
    """The blank Harmony Access Request form: the same for everyone, so public and cacheable."""
    return Response(blank_access_request_pdf(), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{BLANK_FILENAME}"',
        "Cache-Control": "public, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


def export_audit_log(request: Request):
    """The Audit Log, filtered by the query parameters, as CSV streamed in batches; the export is audited.

    Signed out (or past the password only): to the sign-in page. Not an administrator: 403.
    """
    token = request.cookies.get(SESSION_COOKIE, "")
    with session_scope() as session:  # commits an expired session's ending even when refusing
        active = resolve_session(session, token) if token else None
        if active is None or not active.second_factor:
            return _no_store(RedirectResponse(_frontend(routes.login_url(routes.ADMIN)), status_code=303))
        try:
            checked = audit_log.parse_filter(session, active.user, dict(request.query_params))
            upto_id = audit_log.begin_export(session, active.user, checked, ip=_client_ip(request))
        except NotAllowed:
            return _no_store(PlainTextResponse("Forbidden", status_code=403))
        except Invalid as exc:
            return _no_store(PlainTextResponse(str(exc), status_code=400))
    filename = f"audit-log-{utc_now():%Y%m%dT%H%M%SZ}.csv"
    # A sync generator: Starlette runs each batch's query on a worker thread, off the event loop.
    return _no_store(StreamingResponse(audit_log.export_chunks(session_scope, checked, upto_id),
                                       media_type="text/csv; charset=utf-8", headers={
                                           "Content-Disposition": _content_disposition(filename),
                                           "X-Content-Type-Options": "nosniff"}))


def health_check(request: Request):
    """200 when the database (and Redis, if configured) answer; 503 naming what failed."""
    healthy, body = health.check(get_settings())
    return _no_store(JSONResponse(body, status_code=200 if healthy else 503))


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
        Route(routes.AUDIT_EXPORT, export_audit_log, methods=["GET"]),
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
