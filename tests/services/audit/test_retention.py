"""The audit log is append-only; retention pruning removes the oldest rows and the chain still verifies."""

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlmodel import func, select

from harmony_portal import cli
from harmony_portal.models import AuditEvent
from harmony_portal.services.audit import trail as audit
from harmony_portal.settings import Settings, get_settings

NOW = datetime(2031, 6, 1, 12, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=2190)


def _fill(session, old: int = 5, recent: int = 4) -> list[int]:
    """``old`` rows before the cutoff, then ``recent`` after it; their ids."""
    rows = [audit.record(session, "test.old", target=f"old{n}", now=CUTOFF - timedelta(days=old - n))
            for n in range(old)]
    rows += [audit.record(session, "test.recent", target=f"new{n}", now=CUTOFF + timedelta(days=n + 1))
             for n in range(recent)]
    session.commit()
    return [r.id for r in rows]


def _ids(session) -> list[int]:
    return list(session.exec(select(AuditEvent.id).order_by(AuditEvent.id)))


def _tamper(session, sql: str, **params) -> None:
    session.exec(text(sql).bindparams(**params))  # raw SQL, as someone at the database would
    session.commit()
    session.expire_all()


def test_prune_then_verify_passes(session):
    ids = _fill(session)
    pruned = audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    assert (pruned.rows, pruned.through_id) == (5, ids[4])
    assert _ids(session) == ids[5:] + [pruned.checkpoint_id]
    checkpoint = session.get(AuditEvent, pruned.checkpoint_id)
    assert checkpoint.action == audit.PRUNED and checkpoint.at == NOW
    facts = json.loads(checkpoint.detail)
    assert (facts["pruned_through_id"], facts["rows"]) == (ids[4], 5)
    assert session.get(AuditEvent, ids[5]).prev_hash == facts["last_pruned_hash"] != ""
    assert audit.verify_chain(session) is None
    assert audit.verify_chain(session, batch=2) is None  # across batch edges too
    audit.record(session, "test.after", now=NOW)
    session.commit()
    assert audit.verify_chain(session) is None


def test_a_tampered_remaining_row_is_named(session):
    ids = _fill(session)
    audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    _tamper(session, "update auditevent set target = 'edited' where id = :i", i=ids[6])
    assert audit.verify_chain(session) == ids[6]


def test_the_first_remaining_row_is_checked_too(session):
    ids = _fill(session)
    audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    _tamper(session, "update auditevent set ip = '6.6.6.6' where id = :i", i=ids[5])
    assert audit.verify_chain(session) == ids[5]


def test_deleting_from_the_front_without_a_checkpoint_is_caught(session):
    ids = _fill(session)
    audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    _tamper(session, "delete from auditevent where id = :i", i=ids[5])  # the first kept row
    assert audit.verify_chain(session) == ids[6]
    fresh = _fill_fresh(session)
    _tamper(session, "delete from auditevent where id = :i", i=fresh[0])
    assert audit.verify_chain(session) == fresh[1]


def _fill_fresh(session) -> list[int]:
    session.exec(text("delete from auditevent"))
    session.commit()
    return _fill(session)


def test_a_checkpoint_vouches_only_for_the_hash_it_names(session):
    ids = _fill(session)
    pruned = audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    _tamper(session, "update auditevent set prev_hash = :h where id = :i", h="0" * 64, i=ids[5])
    assert audit.verify_chain(session) == ids[5]
    _tamper(session, "update auditevent set detail = :d where id = :i",
            d=json.dumps({"last_pruned_hash": "0" * 64, "pruned_through_id": 1}), i=pruned.checkpoint_id)
    assert audit.verify_chain(session) in (ids[5], pruned.checkpoint_id)  # a forged checkpoint breaks itself


def test_nothing_to_prune_writes_nothing(session):
    _fill(session, old=0)
    before = _ids(session)
    assert audit.prune(session, CUTOFF, now=NOW) == audit.Pruned(0)
    session.commit()
    assert _ids(session) == before


def test_pruning_everything_leaves_the_checkpoint_alone_and_whole(session):
    _fill(session, recent=0)
    pruned = audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    assert _ids(session) == [pruned.checkpoint_id] and audit.verify_chain(session) is None


def test_only_an_unbroken_run_of_the_oldest_rows_goes(session):
    """A row dated before the cutoff but written after a newer one stays: no hole opens in the chain."""
    ids = _fill(session, old=2, recent=1)
    late = audit.record(session, "test.late_but_old", now=CUTOFF - timedelta(days=30))
    session.commit()
    pruned = audit.prune(session, CUTOFF, now=NOW)
    session.commit()
    assert pruned.rows == 2 and _ids(session) == [ids[2], late.id, pruned.checkpoint_id]
    assert audit.verify_chain(session) is None
    again = audit.prune(session, NOW + timedelta(days=1), now=NOW + timedelta(days=2))
    session.commit()
    assert again.rows == 3 and audit.verify_chain(session) is None  # the first checkpoint went too


def test_the_command_prunes_by_the_retention_setting(app_db, session, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_prepare_schema", lambda: None)  # the test database is already at the schema
    monkeypatch.setenv("HARMONY_AUDIT_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    try:
        now = datetime.now(UTC)
        audit.record(session, "test.old", now=now - timedelta(days=31))
        kept = audit.record(session, "test.recent", now=now - timedelta(days=29))
        session.commit()
        assert cli.main(["prune-audit"]) == 0
        assert "pruned 1 audit rows older than 30 days" in capsys.readouterr().out
        assert cli.main(["verify-audit"]) == 0
        assert _ids(session)[0] == kept.id
        assert cli.main(["prune-audit"]) == 0
        assert "no audit rows older than 30 days" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert Settings.model_fields["harmony_audit_retention_days"].default == 2190  # six years unless set


# Append-only: the ORM refuses, and no code but prune writes UPDATE or DELETE against the table.


def test_the_orm_refuses_to_change_or_delete_a_row(session):
    event = audit.record(session, "test.kept")
    session.commit()
    event.target = "edited"
    session.add(event)
    with pytest.raises(audit.AppendOnly):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(audit.AppendOnly):
        session.flush()
    session.rollback()
    for statement in (update(AuditEvent).values(target="x"), delete(AuditEvent),
                      delete(AuditEvent.__table__), update(AuditEvent.__table__).values(ip="x")):
        with pytest.raises(audit.AppendOnly):
            session.execute(statement)
        session.rollback()
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == 1
    assert audit.verify_chain(session) is None


_SQL_WRITE = re.compile(r"(?i)\b(update|delete\s+from|truncate(\s+table)?)\s+[\"`]?auditevent\b")


class _Writes(ast.NodeVisitor):
    """Where a module builds an UPDATE or DELETE of the audit table: (function, code)."""

    def __init__(self):
        self.functions: list[str] = []
        self.found: list[tuple[str, str]] = []

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("update", "delete") and node.args and "AuditEvent" in ast.unparse(node.args[0]):
            self.found.append((".".join(self.functions), ast.unparse(node)))
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and _SQL_WRITE.search(node.value):
            self.found.append((".".join(self.functions), node.value))


def test_no_code_but_prune_updates_or_deletes_audit_rows():
    root = Path(audit.__file__).parents[2]  # the harmony_portal package
    found = []
    for path in sorted(root.rglob("*.py")):
        finder = _Writes()
        finder.visit(ast.parse(path.read_text()))
        found += [(str(path.relative_to(root)), function, code) for function, code in finder.found]
    assert [(path, function) for path, function, _code in found] == [("services/audit/trail.py", "prune")], found
    assert _SQL_WRITE.search("DELETE FROM auditevent WHERE id < 5")  # the scan itself works
