"""The Audit Log at scale: 5,000,000 audit rows over six years (the retention period).

The rows are made inside PostgreSQL (``INSERT ... SELECT generate_series``), ordered by time
as a real log is: actions drawn skewed (sign-ins and session ends common, two-factor resets
rare), an actor on most rows (a few busy people, a long tail), an organization on about 40%.
The auditevent indexes are dropped for the load and rebuilt from their own definitions, then
VACUUM ANALYZE. The hashes are random: the chain is not what is measured here.

Each filter runs through the service the page calls (``parse_filter`` + ``audit_page``),
``SAMPLES`` times on a fresh session, for the first page and for a deep page (a cursor in the
middle of the filtered rows, where following "Older" would land). The export streams one
filtered set through ``export_chunks`` and through the HTTP route, counting rows per second.

Knobs: ``BENCH_AUDIT_ROWS`` (5,000,000; e.g. 200000 for a quick run), ``BENCH_SAMPLES`` (40),
``BENCH_AUDIT_URL`` (reuse a seeded database).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text
from sqlmodel import Session, select

from benchmarks.common import captured, seeded_or_fresh_database, summary, time_ms, write_results
from harmony_portal.db import make_engine, session_scope
from harmony_portal.models import User
from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.clock import to_local

ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", 5_000_000))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", 40))
PEOPLE = 2000
ORGS = 200
YEARS = 6
# Most frequent first; drawn as floor(n * random()^3), so the head dominates and the tail is rare.
ACTIONS = ["auth.signed_in", "session.expired", "auth.logout", "attachment.downloaded", "pq.note_added",
           "pq.status_changed", "auth.password_failed", "pq.created", "role.requested", "role.request_approved",
           "account.profile_updated", "attachment.uploaded", "auth.code_failed", "account.device_added",
           "role.granted", "account.locked", "account.password_changed", "role.removed", "account.unlocked",
           "account.two_factor_reset"]


def _seed(engine) -> dict:
    with Session(engine) as s:
        s.execute(insert(User), [dict(user_id="auditor", user_id_key="auditor", email="auditor@example.org",
                                      email_key="auditor@example.org", first_name="Audrey", last_name="Auditor",
                                      password_hash="x", is_admin=True)])
        s.execute(insert(User), [dict(user_id=f"u{i}", user_id_key=f"u{i}", email=f"u{i}@example.org",
                                      email_key=f"u{i}@example.org", first_name=f"First{i}", last_name=f"Last{i}",
                                      password_hash="x") for i in range(PEOPLE)])
        people = s.exec(select(User.id).where(User.is_admin == False).order_by(User.id)).all()  # noqa: E712
        s.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        indexes = conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'auditevent' "
                                       "AND indexname <> 'auditevent_pkey'").all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        conn.execute(text(_FILL), dict(n=ROWS, years=YEARS, actions=ACTIONS, nactions=len(ACTIONS),
                                       people=list(people), npeople=len(people), orgs=ORGS))
        filled = time.perf_counter()
        for _, definition in indexes:
            conn.exec_driver_sql(definition)
        indexed = time.perf_counter()
        conn.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE auditevent")
        size = conn.exec_driver_sql("SELECT pg_size_pretty(pg_total_relation_size('auditevent'))").scalar()
    return {"rows": ROWS, "people": PEOPLE, "organizations": ORGS, "years": YEARS, "table_and_indexes": size,
            "insert_s": round(filled - started, 1), "index_build_s": round(indexed - filled, 1),
            "analyze_s": round(time.perf_counter() - indexed, 1)}


# Times sorted before numbering, so ids follow time as in a real log. Every value is a bound parameter.
_FILL = """
INSERT INTO auditevent (at, action, actor_id, subject_user_id, organization_id, target, ip, detail, prev_hash, hash)
SELECT at, (CAST(:actions AS text[]))[1 + floor(:nactions * random() ^ 3)::int],
       CASE WHEN random() < 0.8 THEN (CAST(:people AS int[]))[1 + floor(:npeople * random() ^ 2)::int] END,
       CASE WHEN random() < 0.6 THEN (CAST(:people AS int[]))[1 + floor(:npeople * random())::int] END,
       CASE WHEN random() < 0.4 THEN 'ORG' || lpad(floor(:orgs * random() ^ 2)::int::text, 3, '0') END,
       'pq:' || (g % 100000), '10.' || (g % 250) || '.' || (g % 199) || '.7', '{"n": ' || g || '}',
       md5(g::text) || md5((g + 1)::text), md5((g + 2)::text) || md5((g + 3)::text)
FROM (SELECT g, now() - random() * make_interval(days => 365 * :years) AS at
      FROM generate_series(1, :n) AS g ORDER BY at) AS born
"""  # noqa: S608


def _middle_token(engine, where: str, params: dict) -> tuple[str, int]:
    """The cursor of the row halfway down the filtered rows (newest first), a deep page; and their count."""
    # ``where`` is one of the constant conditions in _cases; every value is a bound parameter.
    with engine.connect() as conn:
        total = conn.execute(text(f"SELECT count(*) FROM auditevent WHERE {where}"), params).scalar()  # noqa: S608
        row = conn.execute(text(f"SELECT at, id FROM auditevent WHERE {where} "  # noqa: S608
                                "ORDER BY at DESC, id DESC OFFSET :half LIMIT 1"), {**params, "half": total // 2}).one()
    return audit_log.Cursor(row.at, row.id).token(), total


def _plan(engine, call: Callable[[Session], object]) -> list[str]:
    """The indexes the page query reads (EXPLAIN ANALYZE of the statement on auditevent)."""
    with captured(engine) as seen, Session(engine) as s:
        call(s)
    used = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            if "FROM auditevent" not in statement or "LIMIT" not in statement:
                continue
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters))
            used.append(", ".join(sorted(set(re.findall(
                r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)", plan))))
                or "(sequential scan)")
            break  # the page itself; the probes for newer/older are one-row index lookups
    return used


def _cases(engine, admin: User) -> dict[str, tuple[dict, str, dict]]:
    """name -> (filter fields, the same filter in SQL and its parameters, to find the deep page's cursor)."""
    with engine.connect() as conn:
        by_count = ("SELECT actor_id FROM auditevent WHERE actor_id IS NOT NULL GROUP BY 1 ORDER BY count(*) {} "
                    "LIMIT 1")
        busy = conn.exec_driver_sql(by_count.format("DESC")).scalar()
        quiet = conn.exec_driver_sql(by_count.format("ASC")).scalar()
        names = dict(conn.execute(text('SELECT id, user_id FROM "user" WHERE id IN (:a, :b)'),
                                  {"a": busy, "b": quiet}).all())
    three_years_ago = to_local(datetime.now(UTC) - timedelta(days=3 * 365)).date().replace(day=1)
    month_end = (three_years_ago + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    span = {"from": three_years_ago.isoformat(), "to": month_end.isoformat()}
    with Session(engine) as s:
        month = audit_log.parse_filter(s, admin, span)
    in_month, bounds = "at >= :start AND at < :end", {"start": month.start, "end": month.end}
    return {
        "none": ({}, "true", {}),
        "time_range_one_month_3y_ago": (span, in_month, bounds),
        "actor_busiest": ({"actor": names[busy]}, "actor_id = :a", {"a": busy}),
        "actor_quietest": ({"actor": names[quiet]}, "actor_id = :a", {"a": quiet}),
        "organization": ({"organization": "ORG007"}, "organization_id = :o", {"o": "ORG007"}),
        "action_common": ({"action": ACTIONS[0]}, "action = :x", {"x": ACTIONS[0]}),
        "action_rare": ({"action": ACTIONS[-1]}, "action = :x", {"x": ACTIONS[-1]}),
        "actor_busiest_and_month": ({**span, "actor": names[busy]}, "actor_id = :a AND " + in_month,
                                    {"a": busy, **bounds}),
        "action_and_organization": ({"action": ACTIONS[3], "organization": "ORG001"},
                                    "action = :x AND organization_id = :o", {"x": ACTIONS[3], "o": "ORG001"}),
    }


def _timed(engine, admin: User, fields: dict, token: str) -> dict:
    def page(s: Session):
        return audit_log.audit_page(s, admin, audit_log.parse_filter(s, admin, fields), older_than=token)

    for _ in range(3):  # warm the cache as a running server's would be
        with Session(engine) as s:
            page(s)
    samples = []
    for _ in range(SAMPLES):
        with Session(engine) as s:
            samples.append(time_ms(lambda s=s: page(s)))
    return {**summary(samples), "indexes": _plan(engine, page)}


def _export(engine, url: str, admin: User, fields: dict) -> dict:
    """Rows per second through export_chunks, and through the route with an administrator's cookie."""
    with Session(engine) as s:
        checked = audit_log.parse_filter(s, admin, fields)
    results = {}
    for run in range(2):
        started, rows, size = time.perf_counter(), -1, 0
        for chunk in audit_log.export_chunks(lambda: session_scope(engine), checked, 2**31 - 1):
            rows += chunk.count("\n")  # no newline inside a cell: every cell here is one line
            size += len(chunk)
        took = time.perf_counter() - started
        results[f"service_run_{run + 1}"] = {"rows": rows, "seconds": round(took, 2), "rows_per_s": round(rows / took),
                                             "mb": round(size / 2**20, 1)}
    results.update(_export_over_http(url, admin, fields))
    return results


def _export_over_http(url: str, admin: User, fields: dict) -> dict:
    from starlette.testclient import TestClient

    from harmony_portal import db
    from harmony_portal.server.session_cookie import SESSION_COOKIE
    from harmony_portal.server.web import http_routes
    from harmony_portal.services.signin.sessions import start_session
    from harmony_portal.settings import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    with session_scope() as s:
        token = start_session(s, s.get(User, admin.id), second_factor=True)
    client = TestClient(http_routes(), base_url="http://localhost:3000")
    client.cookies.set(SESSION_COOKIE, token)
    started, lines, size = time.perf_counter(), 0, 0
    with client.stream("GET", "/admin/audit-log.csv", params=fields) as response:
        assert response.status_code == 200, response.status_code
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
            size += len(chunk)
    took = time.perf_counter() - started
    return {"http": {"rows": lines - 1, "seconds": round(took, 2), "rows_per_s": round((lines - 1) / took),
                     "mb": round(size / 2**20, 1)}}


def run() -> dict:
    results: dict = {}
    with seeded_or_fresh_database("BENCH_AUDIT_URL") as url:
        engine = make_engine(url)
        results["data"] = _seed(engine) if not os.environ.get("BENCH_AUDIT_URL") else {"reused": True}
        print(f"data: {results['data']}", flush=True)
        with Session(engine, expire_on_commit=False) as s:
            admin = s.exec(select(User).where(User.user_id == "auditor")).one()
        timings, found = {}, {}
        for name, (fields, where, params) in _cases(engine, admin).items():
            token, total = _middle_token(engine, where, params)
            found[name] = {"filter": fields, "rows": total}
            timings[f"{name}_first_page"] = _timed(engine, admin, fields, "")
            timings[f"{name}_deep_page"] = _timed(engine, admin, fields, token)
            for page in ("first_page", "deep_page"):
                print(f"{name}_{page} ({total} rows): {timings[f'{name}_{page}']}", flush=True)
        results["filters"], results["timings"] = found, timings
        half_year = {"from": (date.today() - timedelta(days=3 * 365)).isoformat(),
                     "to": (date.today() - timedelta(days=3 * 365 - 182)).isoformat()}
        results["export"] = {"filter": half_year, **_export(engine, url, admin, half_year)}
        print(f"export: {results['export']}", flush=True)
        engine.dispose()
    return results


if __name__ == "__main__":
    write_results("audit", run())
