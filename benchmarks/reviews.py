"""Access reviews at scale on PostgreSQL: 100,000 role holders across 10,000 organizations in one review of all
organizations. Timed: starting it (the snapshot), an official's Access Reviews rows, the administrator's
progress view, a bulk Keep of an official's rows, and the help desk's rows (organizations where no official but
the holder can decide: here only the officials' own rows, none of which another official can take).

Aims (issue "Access reviews and time-limited roles"): the official's page and the progress view under 50 ms p95.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from benchmarks.common import postgres_database, summary, time_ms
from harmony_portal.db import make_engine
from harmony_portal.models import Organization, OrgRole, ReviewItem, User
from harmony_portal.services.reviews import decide, queries, start

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 30))
HOLDERS = int(os.environ.get("BENCH_REVIEW_HOLDERS", 100_000))
ORGS = int(os.environ.get("BENCH_ORGS", 10_000))
NOW = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)


def _people(engine) -> tuple[list[int], int]:
    """ORGS organizations, each with one Security Official; HOLDERS Staff spread over them; an administrator."""
    with Session(engine) as s:
        s.execute(insert(Organization), [dict(id=f"B{o}", name=f"Bench Home {o}", provider_type="Nursing Home")
                                         for o in range(ORGS)])
        users = [dict(user_id=f"b{n}", user_id_key=f"b{n}", email=f"b{n}@example.org", email_key=f"b{n}@example.org",
                      first_name="Bench", last_name=f"Person{n}", password_hash="x", is_admin=n == 0)
                 for n in range(HOLDERS + ORGS + 1)]
        ids = list(s.execute(insert(User).returning(User.id), users).scalars())
        admin, officials, holders = ids[0], ids[1:ORGS + 1], ids[ORGS + 1:]
        s.execute(insert(OrgRole), [dict(user_id=officials[o], organization_id=f"B{o}", role="Security Official")
                                    for o in range(ORGS)])
        s.execute(insert(OrgRole), [dict(user_id=h, organization_id=f"B{n % ORGS}", role="Staff")
                                    for n, h in enumerate(holders)])
        s.commit()
    return officials, admin


def run() -> dict:
    with postgres_database() as url:
        engine = make_engine(url)
        officials, admin_id = _people(engine)
        with Session(engine, expire_on_commit=False) as s:
            admin = s.get(User, admin_id)
            started = time_ms(lambda: start.start_review(s, admin, "", "2026-12-31", "Keep access", now=NOW))
            s.commit()
        page, progress, keep, desk, desk_rows = [], [], [], [], []
        for n in range(ROUNDS):
            with Session(engine, expire_on_commit=False) as s:
                official = s.get(User, officials[(n * 337) % ORGS])
                rows: list = []
                page.append(time_ms(lambda official=official, rows=rows: rows.extend(queries.waiting(s, official)[0])))
                admin = s.get(User, admin_id)
                progress.append(time_ms(lambda admin=admin: queries.progress(s, admin)))
                desk.append(time_ms(lambda admin=admin: queries.waiting(s, admin)))  # a full page: counted too
                desk_rows.append(time_ms(lambda admin=admin: queries.rows_for(s, admin)))
                ids = [int(r["id"]) for r in rows]
                keep.append(time_ms(lambda official=official, ids=ids: decide.decide(
                    s, official, ids, decide.KEEP, now=NOW)))
                s.rollback()  # the next round sees the same review
        with Session(engine) as s:
            total = len(s.exec(select(ReviewItem.id)).all())
        engine.dispose()
    assert total == HOLDERS + ORGS, total
    return {f"start_review_{HOLDERS + ORGS}_roles_{ORGS}_organizations": {"ms": round(started, 1)},
            "official_access_reviews_rows": {**summary(page), "aim_p95_ms": 50},
            "administrator_progress_view": {**summary(progress), "aim_p95_ms": 50},
            "official_keeps_their_rows": summary(keep),
            "help_desk_access_reviews_page_with_total": summary(desk),
            "help_desk_access_reviews_rows_only": summary(desk_rows)}


