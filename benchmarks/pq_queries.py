"""The PQ chapter's reads at scale: 1,000,000 PQs from 50 organizations over two years.

The PQs are made inside PostgreSQL (``INSERT ... SELECT generate_series``): subjects and
details drawn from a word list (skewed, so a few words are common), a rare word in about one
PQ in 10,000, statuses that age like real ones (most PQs older than a month are answered and
closed; a few stragglers stay open), a first-response due time on every PQ, some overdue.
The indexes on ``pq`` are dropped for the load and rebuilt from their own definitions
afterwards (faster than maintaining them row by row), then ANALYZE.

Each query runs through the service function the page calls, ``SAMPLES`` times on a fresh
session; the plan of the word searches and the queue is recorded with EXPLAIN ANALYZE, and
the indexes each plan reads are listed.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import insert, text
from sqlmodel import Session, select

from benchmarks.common import captured, seeded_or_fresh_database, summary, time_ms, write_results
from harmony_portal.db import make_engine
from harmony_portal.models import Organization, OrgRole, User
from harmony_portal.services.pq.queries import help_desk_queue, list_pqs
from harmony_portal.vocabulary import INQUIRY_TYPES

PQS = int(os.environ.get("BENCH_PQS", 1_000_000))
ORGS = 50
PROVIDERS_PER_ORG = 10
SAMPLES = int(os.environ.get("BENCH_SAMPLES", 40))
RARE_WORD = "permafrost"  # in every 9,973rd PQ's details: about 100 PQs
MEDIUM_WORD = "tsunami"  # in every 199th: about 5,000 PQs (0.5%)
# Ordered by how often they are drawn: the first are in most PQs, the last in a few percent.
WORDS = """claim billing provider member service authorization payment denied medicaid waiver
care plan assessment eligibility recipient form submitted request portal access account
password reset training certification renewal license facility staff nursing home
respite personal attendant coordinator review approval pending documentation missing signature
invoice remittance advice code modifier rate adjustment appeal deadline extension
schedule visit hours timesheet travel mileage reimbursement rural village clinic
behavioral health developmental disability support living assisted residential
enrollment application background check fingerprint clearance inspection incident report
critical notification guardian consent release information privacy security official
role login error browser upload attachment document scan fax email phone callback
status update question answer clarification policy regulation manual guidance
quarterly annual audit finding corrective action deficiency citation survey
transportation escort meal delivery equipment supplies durable medical prescription
therapy physical occupational speech interpreter language translation
anchorage fairbanks juneau bethel nome kodiak sitka ketchikan kenai palmer wasilla
winter storm outage delay closure holiday weekend overtime shift backup emergency""".split()
TOWNS = ["Anchorage", "Fairbanks", "Juneau", "Bethel", "Nome", "Kodiak", "Sitka", "Ketchikan", "Kenai", "Palmer"]
KINDS = ["Home Care", "Senior Services", "Community Living", "Family Support", "Care Partners"]
OPEN = ("Pending", "In Progress")


def _seed(engine) -> dict:
    with Session(engine) as s:
        s.execute(insert(Organization), [dict(id=f"ORG{k:03d}", name=f"{TOWNS[k % 10]} {KINDS[k // 10]}",
                                              provider_type="Home and Community Based") for k in range(ORGS)])
        s.execute(insert(User), [dict(user_id="helpdesk", user_id_key="helpdesk", email="helpdesk@example.org",
                                      email_key="helpdesk@example.org", first_name="Help", last_name="Desk",
                                      password_hash="x", is_admin=True)])
        count = ORGS * PROVIDERS_PER_ORG
        s.execute(insert(User), [dict(user_id=f"p{i}", user_id_key=f"p{i}", email=f"p{i}@example.org",
                                      email_key=f"p{i}@example.org", first_name=f"First{i}", last_name=f"Last{i}",
                                      password_hash="x") for i in range(count)])
        providers = s.exec(select(User.id).where(User.is_admin == False).order_by(User.id)).all()  # noqa: E712
        # Provider i works at organization i % ORGS; every tenth also at the next one.
        grants = [dict(user_id=uid, organization_id=f"ORG{i % ORGS:03d}", role="Staff")
                  for i, uid in enumerate(providers)]
        grants += [dict(user_id=uid, organization_id=f"ORG{(i + 1) % ORGS:03d}", role="Staff")
                   for i, uid in enumerate(providers) if i % 10 == 0]
        s.execute(insert(OrgRole), grants)
        s.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'pq' AND indexname <> 'pq_pkey'").all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        conn.execute(text(_FILL), dict(n=PQS, orgs=ORGS, per_org=PROVIDERS_PER_ORG, words=WORDS, nwords=len(WORDS),
                                       rare=RARE_WORD, medium=MEDIUM_WORD, providers=list(providers),
                                       inquiry=list(INQUIRY_TYPES), ninq=len(INQUIRY_TYPES),
                                       names=[f"{TOWNS[k % 10]} {KINDS[k // 10]}" for k in range(ORGS)]))
        filled = time.perf_counter()
        for _, definition in indexes:
            conn.exec_driver_sql(definition)
        indexed = time.perf_counter()
        conn.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does to a table this size soon after
        counts = dict(conn.exec_driver_sql("SELECT status, count(*) FROM pq GROUP BY status").all())
        overdue = conn.exec_driver_sql("SELECT count(*) FROM pq WHERE status IN ('Pending', 'In Progress') "
                                       "AND first_response_at IS NULL AND first_response_due_at < now()").scalar()
        size = conn.exec_driver_sql("SELECT pg_size_pretty(pg_total_relation_size('pq'))").scalar()
    return {"pqs": PQS, "organizations": ORGS, "providers": len(providers), "by_status": counts,
            "overdue": overdue, "table_and_indexes": size, "insert_s": round(filled - started, 1),
            "index_build_s": round(indexed - filled, 1), "analyze_s": round(time.perf_counter() - indexed, 1)}


# Word i is drawn with weight ~ 1/sqrt(i) (floor(n * random()^2)); the correlated
# generate_series bound makes PostgreSQL draw afresh for every row.
_WORDS_OF = ("(SELECT string_agg((CAST(:words AS text[]))[1 + floor(:nwords * random() ^ 2)::int], ' ') "
             "FROM generate_series(1, {count}))")
# Only the constant _WORDS_OF is formatted in; every value is a bound parameter.
_FILL = f"""
INSERT INTO pq (organization_id, provider_name, inquiry_type, subject, details, status, assigned_resource,
                created_by_id, created_at, updated_at, first_response_due_at, first_response_at, taken_by_id)
SELECT 'ORG' || lpad(org::text, 3, '0'), (CAST(:names AS text[]))[org + 1], (CAST(:inquiry AS text[]))[1 + (g % :ninq)],
       initcap({_WORDS_OF.format(count="3 + g % 5")}),
       {_WORDS_OF.format(count="15 + g % 30")} || CASE WHEN g % 9973 = 0 THEN ' ' || :rare ELSE '' END
       || CASE WHEN g % 199 = 0 THEN ' ' || :medium ELSE '' END,
       status, 'Harmony Help Desk', (CAST(:providers AS int[]))[1 + org + :orgs * floor(random() * :per_org)::int],
       created, created, created + interval '2 days',
       CASE WHEN status = 'Pending' THEN NULL ELSE created + random() * interval '3 days' END,
       CASE WHEN status = 'Pending' THEN NULL ELSE (CAST(:providers AS int[]))[1] END
FROM (SELECT g, org, created,
             CASE WHEN random() < CASE WHEN created > now() - interval '30 days' THEN 0.4 ELSE 0.005 END
                  THEN CASE WHEN random() < 0.5 THEN 'Pending' ELSE 'In Progress' END
                  ELSE CASE WHEN random() < 0.3 THEN 'Resolved' ELSE 'Closed' END END AS status
      FROM (SELECT g, floor(random() * :orgs)::int AS org,
                   now() - random() * interval '730 days' AS created
            FROM generate_series(1, :n) AS g ORDER BY created) AS born) AS aged
"""  # noqa: S608


def _plans(engine, call: Callable[[Session], object]) -> list[dict]:
    """EXPLAIN ANALYZE of every statement on ``pq`` that ``call`` runs, and the indexes each reads."""
    with captured(engine) as seen, Session(engine) as s:
        call(s)
    plans = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            if statement.startswith("SET "):  # the settings the call runs under (list_pqs: no JIT)
                conn.exec_driver_sql(statement, parameters)
                continue
            if "FROM pq" not in statement or statement.startswith("EXPLAIN"):
                continue
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
            plan = [r[0] for r in rows]
            used = sorted(set(re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)"
                                         r"(?: Backward)? (?:using|on) (\w+)", "\n".join(plan))))
            plans.append({"sql": " ".join(statement.split()), "indexes": used or ["(none: sequential scan)"],
                          "plan": plan})
    return plans


def run() -> dict:
    results: dict = {}
    with seeded_or_fresh_database("BENCH_PQ_URL") as url:
        engine = make_engine(url)
        results["data"] = _seed(engine) if not os.environ.get("BENCH_PQ_URL") else {"reused": True}
        now = datetime.now(UTC)
        rng = random.Random(5)
        with Session(engine, expire_on_commit=False) as s:
            admin = s.exec(select(User).where(User.user_id == "helpdesk")).one()
            providers = s.exec(select(User).where(User.is_admin == False)).all()  # noqa: E712
            busy_org = s.exec(text("SELECT organization_id FROM pq WHERE status = 'Pending' "
                                   "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).one()[0]
            top = s.exec(text("SELECT max(id) FROM pq")).one()[0]
        common_word = WORDS[0]
        cases: dict[str, Callable[[Session], object]] = {
            "queue_default": lambda s: help_desk_queue(s, admin, now=now),
            "queue_filtered_status_inquiry_provider": lambda s: help_desk_queue(
                s, admin, status="Pending", inquiry_type=INQUIRY_TYPES[1], provider=busy_org, now=now),
            "queue_filtered_provider": lambda s: help_desk_queue(s, admin, provider=busy_org, now=now),
            "list_help_desk_first_page": lambda s: list_pqs(s, admin),
            "list_help_desk_page_40": lambda s: list_pqs(s, admin, page=40),
            "list_provider_first_page": lambda s: list_pqs(s, rng.choice(providers)),
            "list_by_number": lambda s: list_pqs(s, admin, number=f"#{rng.randrange(1, top + 1)}"),
            "list_provider_by_number": lambda s: list_pqs(s, rng.choice(providers), number=rng.randrange(1, top + 1)),
            "words_rare": lambda s: list_pqs(s, admin, words=RARE_WORD),
            "words_medium": lambda s: list_pqs(s, admin, words=MEDIUM_WORD),
            "words_common": lambda s: list_pqs(s, admin, words=common_word),
            "words_two_common": lambda s: list_pqs(s, admin, words=f"{WORDS[1]} {WORDS[3]}"),
            "words_provider_common": lambda s: list_pqs(s, rng.choice(providers), words=common_word),
            "list_help_desk_status_pending": lambda s: list_pqs(s, admin, status="Pending"),
        }
        with Session(engine) as s:  # what each case finds, for the record
            results["found"] = {
                "queue_default_rows": len(help_desk_queue(s, admin, now=now)),
                "queue_default_overdue": sum(r.overdue for r in help_desk_queue(s, admin, now=now)),
                "words_rare_total": list_pqs(s, admin, words=RARE_WORD)[1],
                "words_medium_total": list_pqs(s, admin, words=MEDIUM_WORD)[1],
                "words_common_total": list_pqs(s, admin, words=common_word)[1],
                "common_word": common_word, "medium_word": MEDIUM_WORD, "rare_word": RARE_WORD,
                "provider_first_page_total": list_pqs(s, providers[0])[1]}
        timings = {}
        for name, query in cases.items():
            for _ in range(3):  # warm the cache as a running server's would be
                with Session(engine) as s:
                    query(s)
            samples = []
            for _ in range(SAMPLES):
                with Session(engine) as s:
                    samples.append(time_ms(lambda s=s, query=query: query(s)))
            timings[name] = summary(samples)
            print(f"{name}: {timings[name]}", flush=True)
        results["timings"] = timings
        results["plans"] = {name: _plans(engine, cases[name])
                            for name in ("queue_default", "queue_filtered_status_inquiry_provider",
                                         "list_help_desk_first_page", "list_provider_first_page",
                                         "words_rare", "words_medium", "words_common")}
        engine.dispose()
    return results


if __name__ == "__main__":
    write_results("pq", run())
