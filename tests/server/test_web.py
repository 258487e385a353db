"""The HTTP routes in front of Reflex: the HttpOnly session cookie and the websocket gate."""

import uuid

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from harmony_portal.db import session_scope
from harmony_portal.server.session_cookie import SESSION_COOKIE
from harmony_portal.server.web import guard_event_socket, http_routes
from harmony_portal.services.signin import sessions


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


def test_a_page_whose_session_ended_elsewhere_says_so_at_sign_in(client):
    response = client.get("/auth/signout", params={"reason": "ended"})
    assert response.headers["location"] == "/login?reason=ended"


def _echo_app():
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("open")
        await websocket.close()
    return guard_event_socket(Starlette(routes=[WebSocketRoute("/_event/", echo)]))


@pytest.mark.parametrize("token", ["officials1", "feed" + "a" * 64, "", "../x", str(uuid.uuid4()).upper()],
                         ids=["a-name", "a-feed-token", "empty", "a-path", "an-upper-case-uuid"])
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


# Attachment downloads: only a fully signed-in user who may see the file gets it; everyone else a 404.

@pytest.fixture
def filed(app_db, make, tmp_path, monkeypatch):
    """A PQ of one organization with a stored PDF attached, and the people around it."""
    import io

    from pypdf import PdfWriter

    from harmony_portal.models import PQ, Attachment
    from harmony_portal.services.pq.file_store import AttachmentWriter
    from harmony_portal.settings import get_settings

    monkeypatch.setenv("HARMONY_UPLOAD_DIR", str(tmp_path / "store"))
    get_settings.cache_clear()
    pdf = PdfWriter()
    pdf.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    pdf.write(out)
    data = out.getvalue()
    writer = AttachmentWriter("Access Request – Jöhn.pdf")
    writer.write(data)
    stored = writer.finish()
    with session_scope() as s:
        home, other = make.org(s), make.org(s)
        owner, colleague, stranger = make.user(s), make.user(s), make.user(s)
        make.grant(s, owner, home, role="Staff")
        make.grant(s, colleague, home, role="Security Official")
        make.grant(s, stranger, other, role="Security Official")
        pq = PQ(organization_id=home.id, provider_name=home.name, inquiry_type="Access Request",
                subject="Access", details="For a new nurse.", created_by_id=owner.id)
        s.add(pq)
        s.flush()
        row = Attachment(pq_id=pq.id, filename=stored.filename, content_type=stored.content_type, size=stored.size,
                         sha256=stored.sha256, storage_key=stored.storage_key, pages=stored.pages,
                         uploaded_by_id=owner.id)
        s.add(row)
        s.flush()
        people = {"owner": owner, "colleague": colleague, "stranger": stranger}
        tokens = {name: sessions.start_session(s, user, second_factor=True) for name, user in people.items()}
        tokens["password-only"] = sessions.start_session(s, owner, second_factor=False)
        ids = {name: user.id for name, user in people.items()}
    yield {"id": row.id, "data": data, "tokens": tokens, "ids": ids, "stored": stored,
           "store": tmp_path / "store", "org": home.id}
    get_settings.cache_clear()


def _downloads():
    from sqlmodel import select

    from harmony_portal.models import AuditEvent

    with session_scope() as s:
        query = select(AuditEvent).where(AuditEvent.action == "attachment.downloaded")
        return list(s.exec(query).all())


def _get(client, filed, who, attachment_id=None):
    client.cookies.clear()
    if who:
        client.cookies.set(SESSION_COOKIE, filed["tokens"][who])
    return client.get(f"/pq/attachments/{attachment_id or filed['id']}")


@pytest.mark.parametrize("who", ["owner", "colleague"])
def test_a_member_of_the_organization_downloads_the_file_and_it_is_audited(client, filed, who):
    response = _get(client, filed, who)
    assert response.status_code == 200
    assert response.content == filed["data"]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Access Request _ J_hn.pdf\"; "
        "filename*=UTF-8''Access%20Request%20%E2%80%93%20J%C3%B6hn.pdf")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert int(response.headers["content-length"]) == len(filed["data"])
    [event] = _downloads()
    assert (event.actor_id, event.target, event.organization_id) == (
        filed["ids"][who], f"attachment:{filed['id']}", filed["org"])
    _get(client, filed, who)
    assert len(_downloads()) == 2  # every download, not only the first


@pytest.mark.parametrize("who", ["stranger", "password-only", None])
def test_anyone_else_gets_the_same_404_and_nothing_is_audited(client, filed, who):
    response = _get(client, filed, who)
    assert response.status_code == 404
    assert response.text == "Not Found" and filed["data"] not in response.content
    assert response.headers["cache-control"] == "no-store"
    assert _downloads() == []


def test_unknown_ids_and_forged_cookies_get_404(client, filed):
    assert _get(client, filed, "owner", attachment_id=filed["id"] + 1000).status_code == 404
    assert client.get("/pq/attachments/abc").status_code == 404
    client.cookies.set(SESSION_COOKIE, "forged-token")
    assert client.get(f"/pq/attachments/{filed['id']}").status_code == 404
    assert _downloads() == []


def test_an_internal_note_attachment_is_for_administrators_only(client, filed, make):
    from harmony_portal.models import Attachment, PQNote

    with session_scope() as s:
        row = s.get(Attachment, filed["id"])
        note = PQNote(pq_id=row.pq_id, note_type="Internal", status="Open", text="Help desk only.",
                      author_id=filed["ids"]["owner"])
        s.add(note)
        s.flush()
        row.note_id = note.id
        s.add(row)
        admin = make.user(s, is_admin=True)
        admin_token = sessions.start_session(s, admin, second_factor=True)
    assert _get(client, filed, "owner").status_code == 404
    client.cookies.set(SESSION_COOKIE, admin_token)
    assert client.get(f"/pq/attachments/{filed['id']}").content == filed["data"]


def test_a_tampered_file_is_never_sent(client, filed):
    path = filed["store"] / filed["stored"].storage_key
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    response = _get(client, filed, "owner")
    assert response.status_code == 500 and filed["data"][:20] not in response.content
    assert _downloads() == []


def test_the_download_path_is_built_in_one_place():
    from harmony_portal import routes

    assert routes.attachment_url(42) == "/pq/attachments/42"


# The Harmony Access Request form: filled in for those who may see the PQ, blank for anyone.

@pytest.fixture
def access_pq(app_db, make):
    with session_scope() as s:
        home, other = make.org(s), make.org(s)
        owner, stranger = make.user(s, first_name="Kaya", last_name="Nukluk"), make.user(s)
        make.grant(s, owner, home, role="Staff")
        make.grant(s, stranger, other, role="Security Official")
        pq = make.pq(s, owner, home, inquiry_type="Access Request", subject="Access for a new nurse")
        question = make.pq(s, owner, home, subject="Which billing code?")
        tokens = {"owner": sessions.start_session(s, owner, second_factor=True),
                  "stranger": sessions.start_session(s, stranger, second_factor=True),
                  "password-only": sessions.start_session(s, owner, second_factor=False)}
        return {"pq": pq.id, "question": question.id, "tokens": tokens, "owner": owner.id, "org": home.id}


def _forms_generated():
    from sqlmodel import select

    from harmony_portal.models import AuditEvent

    with session_scope() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == "pq.access_form_generated")).all())


def _form(client, access_pq, who, pq_id=None):
    client.cookies.clear()
    if who:
        client.cookies.set(SESSION_COOKIE, access_pq["tokens"][who])
    return client.get(f"/pq/{pq_id or access_pq['pq']}/access-request.pdf")


def test_the_owner_downloads_the_filled_in_form_and_it_is_audited(client, access_pq):
    import io

    from pypdf import PdfReader

    response = _form(client, access_pq, "owner")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(  # then the exact name (RFC 6266 filename*)
        f'attachment; filename="harmony-access-request-pq-{access_pq["pq"]}.pdf";')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Access for a new nurse" in text and "Kaya Nukluk" in text
    [event] = _forms_generated()
    assert (event.actor_id, event.organization_id) == (access_pq["owner"], access_pq["org"])


@pytest.mark.parametrize("who", ["stranger", "password-only", None])
def test_anyone_else_gets_404_for_the_form(client, access_pq, who):
    response = _form(client, access_pq, who)
    assert response.status_code == 404 and response.text == "Not Found"
    assert response.headers["cache-control"] == "no-store"
    assert _forms_generated() == []


def test_no_form_for_other_inquiry_types_unknown_pqs_or_forged_cookies(client, access_pq):
    assert _form(client, access_pq, "owner", pq_id=access_pq["question"]).status_code == 404
    assert _form(client, access_pq, "owner", pq_id=access_pq["pq"] + 1000).status_code == 404
    client.cookies.set(SESSION_COOKIE, "forged-token")
    assert client.get(f"/pq/{access_pq['pq']}/access-request.pdf").status_code == 404
    assert _forms_generated() == []


def test_the_blank_form_is_public_and_cacheable(client):
    import io

    from pypdf import PdfReader

    response = client.get("/forms/harmony-access-request.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="harmony-access-request.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "public" in response.headers["cache-control"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2 and "Harmony Access Request" in reader.pages[0].extract_text()


def test_the_form_paths_are_built_in_one_place():
    from harmony_portal import routes

    assert routes.access_form_url(7) == "/pq/7/access-request.pdf"
    assert routes.BLANK_ACCESS_FORM == "/forms/harmony-access-request.pdf"


def test_a_download_logs_its_request_id_and_user_never_the_cookie(client, filed):
    import io
    import json
    import logging

    from harmony_portal.server.logging_setup import json_handler

    path = filed["store"] / filed["stored"].storage_key
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")  # fails its check: the route logs an error
    stream = io.StringIO()
    handler = json_handler(stream)
    logging.getLogger().addHandler(handler)
    try:
        client.cookies.set(SESSION_COOKIE, filed["tokens"]["owner"])
        response = client.get(f"/pq/attachments/{filed['id']}", headers={"X-Request-ID": "req-0123456789"})
    finally:
        logging.getLogger().removeHandler(handler)
    assert response.status_code == 500 and response.headers["x-request-id"] == "req-0123456789"
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["message"] == f"attachment {filed['id']} fails its integrity check"
    assert (line["level"], line["request_id"], line["user_id"]) == ("error", "req-0123456789", filed["ids"]["owner"])
    assert filed["tokens"]["owner"] not in stream.getvalue()



@pytest.mark.parametrize("header", [
    'site_prefs={"theme":"dark","v":1}; harmony_session=tok-123',
    '_ga=GA1.2 with spaces; harmony_session=tok-123; other=x',
    'a="unterminated; harmony_session=tok-123',
    'harmony_session=tok-123; site_prefs={"theme":"dark","v":1}',
])
def test_the_socket_and_the_http_routes_read_the_same_session_from_any_cookie_header(header):
    from starlette.requests import Request

    from harmony_portal.server.session_cookie import session_token_from

    http_side = Request({"type": "http", "headers": [(b"cookie", header.encode())]}).cookies.get(SESSION_COOKIE)
    assert session_token_from(header) == http_side == "tok-123"


def test_no_session_cookie_reads_as_no_session():
    from harmony_portal.server.session_cookie import session_token_from

    assert session_token_from('site_prefs={"theme":"dark"}; harmony_sessionx=1') == ""
    assert session_token_from("") == ""
