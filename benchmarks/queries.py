"""User Lookup and Role Requests queries at scale: 100,000 users, 10,000 organizations."""

from __future__ import annotations

import random

from sqlalchemy import insert
from sqlmodel import Session, select

from benchmarks.common import postgres_database, summary, time_ms, write_results
from harmony_portal.db import make_engine
from harmony_portal.models import Organization, OrgRole, RoleRequest, User
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles import requests as roles

USERS, ORGS, PENDING = 100_000, 10_000, 10_000
ROLES_PER_USER = 1
CHUNK = 10_000


def _seed(engine) -> None:
    rng = random.Random(7)
    with Session(engine) as s:
        s.execute(insert(Organization), [dict(id=f"O{i}", name=f"Organization {i}", provider_type="Nursing Home")
                                         for i in range(ORGS)])
        for start in range(0, USERS, CHUNK):
            s.execute(insert(User), [dict(user_id=f"u{i}", user_id_key=f"u{i}", email=f"u{i}@example.org",
                                          email_key=f"u{i}@example.org", first_name=f"First{i}",
                                          last_name=f"Last{i}", password_hash="x")
                                     for i in range(start, min(start + CHUNK, USERS))])
        ids = s.exec(select(User.id).order_by(User.id)).all()
        # Every organization gets one Security Official; everyone else holds a role somewhere.
        grants = [dict(user_id=ids[i], organization_id=f"O{i}", role="Security Official") for i in range(ORGS)]
        grants += [dict(user_id=uid, organization_id=f"O{rng.randrange(ORGS)}", role="Staff") for uid in ids[ORGS:]]
        for start in range(0, len(grants), CHUNK):
            s.execute(insert(OrgRole), grants[start:start + CHUNK])
        s.execute(insert(RoleRequest), [dict(user_id=rng.choice(ids[ORGS:]), organization_id=f"O{rng.randrange(ORGS)}",
                                             role="Assessment Coordinator", justification="Scale benchmark")
                                        for _ in range(PENDING)])
        s.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def run() -> dict:
    results = {"data": {"users": USERS, "organizations": ORGS, "pending_requests": PENDING}}
    with postgres_database() as url:
        engine = make_engine(url)
        _seed(engine)
        rng = random.Random(11)
        with Session(engine, expire_on_commit=False) as s:
            officials = [s.get(User, uid) for uid in rng.sample(range(1, ORGS + 1), 50)]
            admin = User(user_id="admin", user_id_key="admin", email="a@example.org", email_key="a@example.org",
                         first_name="A", last_name="D", password_hash="x", is_admin=True)
            s.add(admin)
            s.commit()
        cases = {
            "user_lookup_list_page": lambda s, o: role_queries.lookup_users(s, o, roles.represented_org_ids(s, o)[0]),
            "user_lookup_exact_match": lambda s, o: role_queries.lookup_users(
                s, o, roles.represented_org_ids(s, o)[0], f"u{rng.randrange(USERS)}@EXAMPLE.org"),
            "role_requests_queue": lambda s, o: role_queries.decidable_rows(s, o),
            "pending_count_badge": lambda s, o: roles.pending_count(s, o),
        }
        for name, query in cases.items():
            samples = []
            for official in officials:
                with Session(engine) as s:
                    samples.append(time_ms(lambda s=s, official=official, query=query: query(s, official)))
            results[name] = summary(samples)
        engine.dispose()
    return results


if __name__ == "__main__":
    write_results("queries", run())
