"""Files served over HTTP: attachments, the Access Request form and the Audit Log CSV.

Attachments download only through ``/pq/attachments/<id>``: the cookie must name a
session that passed the second factor and whose user may see that file; anything
else (signed out, password only, another organization, no such id) is the same
404. Every download is audited. The form of a PQ (``/pq/<id>/access-request.pdf``),
filled in from the PQ and its requester, follows the same rule and is audited too; the
blank form (``/forms/harmony-access-request.pdf``) is public. The Audit Log downloads as
CSV from ``/admin/audit-log.csv`` (the page's filters as query parameters), streamed in
batches, for an administrator only; each export is audited.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.models import PQ, User, utc_now
from harmony_portal.server import log_context
from harmony_portal.server.session_cookie import SESSION_COOKIE, backend_url, frontend_url, no_store
from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.pq import file_store as attachments
from harmony_portal.services.pq.access import visible_attachment
from harmony_portal.services.pq.access_form import BLANK_FILENAME, access_request_pdf, blank_access_request_pdf
from harmony_portal.services.reviews import queries as review_queries
from harmony_portal.services.signin.sessions import resolve_session
from harmony_portal.services.signing.record import signing_record
from harmony_portal.settings import get_settings

_log = logging.getLogger(__name__)


def attachment_href(attachment_id: int) -> str:
    """The download link for a page (on the backend's port under `reflex run --env dev`)."""
    return backend_url(routes.attachment_url(attachment_id))


def access_form_href(pq_id) -> str:
    """The link to a PQ's filled-in Access Request form (``pq_id`` may be a Reflex Var)."""
    return backend_url(routes.access_form_url(pq_id))


def blank_access_form_href() -> str:
    """The link to the blank Harmony Access Request form."""
    return backend_url(routes.BLANK_ACCESS_FORM)


def _client_ip(request: Request) -> str:
    hops = get_settings().harmony_trusted_proxy_hops
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.client.host if request.client else ""


def _not_found() -> PlainTextResponse:
    return no_store(PlainTextResponse("Not Found", status_code=404))


def _content_disposition(filename: str) -> str:
    # The quoted form for old clients (ASCII, no quotes or backslashes), then the exact name.
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7f and ch not in '"\\' else "_" for ch in filename)
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


# A file is never rendered as a page of the portal's origin: no sniffing, no scripts.
_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def _signed_in(session, request: Request) -> User | None:
    """Who this request's session cookie names, once past the second factor; None otherwise.

    Resolving commits an expired session's ending even when the request is then refused.
    """
    token = request.cookies.get(SESSION_COOKIE, "")
    active = resolve_session(session, token) if token else None
    log_context.bind_user(active.user.id if active else None)
    return active.user if active is not None and active.second_factor else None


def download_attachment(request: Request):
    """Stream one attachment, decrypted, to a signed-in user who may see it; 404 for anyone else."""
    attachment_id = request.path_params["attachment_id"]
    ip = _client_ip(request)
    with session_scope() as session:
        user = _signed_in(session, request)
        found = None
        if user is not None:
            try:
                found = visible_attachment(session, user, attachment_id)
            except NotAllowed:
                found = None
        if found is None:
            return _not_found()
        user_id = user.id
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
        return no_store(PlainTextResponse("This file can't be read. The help desk has been told.",
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
        **_FILE_HEADERS,
    })
    return no_store(response)


def _pdf_for_signed_in(request: Request, make) -> Response:
    """``make(session, user, ip)`` -> (file name, PDF) for a signed-in user; 404 for anyone else and
    for whatever ``make`` refuses (not theirs to see, no such thing: nothing to say about it)."""
    ip = _client_ip(request)
    with session_scope() as session:
        user = _signed_in(session, request)
        if user is None:
            return _not_found()
        try:
            filename, data = make(session, user, ip)
        except (NotAllowed, Invalid):
            return _not_found()
    return no_store(Response(data, media_type="application/pdf", headers={
        "Content-Disposition": _content_disposition(filename), **_FILE_HEADERS}))


def download_access_form(request: Request):
    """A PQ's Access Request form, filled in, for a signed-in user who may see that PQ; 404 for anyone else."""
    pq_id = request.path_params["pq_id"]
    return _pdf_for_signed_in(request, lambda session, user, ip: access_request_pdf(session, user, pq_id, ip=ip))


def download_signing_record(request: Request):
    """The signing record of a form signed in the portal, for a signed-in user who may see its PQ; 404 otherwise."""
    form_id = request.path_params["form_id"]
    return _pdf_for_signed_in(request, lambda session, user, ip: signing_record(session, user, form_id, ip=ip))


def blank_access_form(request: Request):
    """The blank Harmony Access Request form: the same for everyone, so public and cacheable."""
    return Response(blank_access_request_pdf(), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{BLANK_FILENAME}"',
        "Cache-Control": "public, max-age=86400", **_FILE_HEADERS})


def export_audit_log(request: Request):
    """The Audit Log, filtered by the query parameters, as CSV streamed in batches; the export is audited.

    Signed out (or past the password only): to the sign-in page. Not an administrator: 403.
    """
    with session_scope() as session:
        user = _signed_in(session, request)
        if user is None:
            return no_store(RedirectResponse(frontend_url(routes.login_url(routes.ADMIN)), status_code=303))
        try:
            checked = audit_log.parse_filter(session, user, dict(request.query_params))
            upto_id = audit_log.begin_export(session, user, checked, ip=_client_ip(request))
        except NotAllowed:
            return no_store(PlainTextResponse("Forbidden", status_code=403))
        except Invalid as exc:
            return no_store(PlainTextResponse(str(exc), status_code=400))
    filename = f"audit-log-{utc_now():%Y%m%dT%H%M%SZ}.csv"
    # A sync generator: Starlette runs each batch's query on a worker thread, off the event loop.
    return no_store(StreamingResponse(audit_log.export_chunks(session_scope, checked, upto_id),
                                       media_type="text/csv; charset=utf-8", headers={
                                           "Content-Disposition": _content_disposition(filename),
                                           "X-Content-Type-Options": "nosniff"}))


def export_review(request: Request):
    """An access review as CSV (formula-safe), for an administrator; the export is audited."""
    with session_scope() as session:
        user = _signed_in(session, request)
        if user is None:
            return no_store(RedirectResponse(frontend_url(routes.login_url(routes.ADMIN)), status_code=303))
        review_id = request.path_params["review_id"]
        try:
            text = review_queries.export_csv(session, user, review_id)
        except NotAllowed:
            return no_store(PlainTextResponse("Forbidden", status_code=403))
        audit.record(session, "review.exported", actor_id=user.id, target=f"review:{review_id}",
                     ip=_client_ip(request))
    return no_store(Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": _content_disposition(f"access-review-{review_id}.csv"), **_FILE_HEADERS}))
