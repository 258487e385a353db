"""Approving 500 requests in one click: one transaction, 500 audit rows, 500 emails."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session, func, select

from benchmarks.common import postgres_database, summary, time_ms, write_results
from harmony_portal.db import make_engine
from harmony_portal.models import AuditEvent, Organization, OrgRole, OutboxEmail, RoleRequest, User
from harmony_portal.services.roles import decisions

BATCH = 500


def _seed(engine, round_no: int) -> tuple[User, list[int]]:
    with Session(engine, expire_on_commit=False) as s:
        org_id = f"BENCH{round_no}"
        s.add(Organization(id=org_id, name=f"Bench {round_no}", provider_type="Nursing Home"))
        official = User(user_id=f"so{round_no}", user_id_key=f"so{round_no}", email=f"so{round_no}@example.org",
                        email_key=f"so{round_no}@example.org", first_name="Sec", last_name="Official",
                        password_hash="x")
        s.add(official)
        s.flush()
        s.add(OrgRole(user_id=official.id, organization_id=org_id, role="Security Official"))
        s.execute(insert(User), [dict(user_id=f"r{round_no}-{i}", user_id_key=f"r{round_no}-{i}",
                                      email=f"r{round_no}-{i}@example.org", email_key=f"r{round_no}-{i}@example.org",
                                      first_name="Req", last_name=str(i), password_hash="x") for i in range(BATCH)])
        ids = s.exec(select(User.id).where(User.user_id_key.startswith(f"r{round_no}-"))).all()
        s.execute(insert(RoleRequest), [dict(user_id=uid, organization_id=org_id, role="Staff",
                                             justification="Benchmark onboarding") for uid in ids])
        s.commit()
        request_ids = s.exec(select(RoleRequest.id).where(RoleRequest.organization_id == org_id)).all()
        return official, list(request_ids)


def run() -> dict:
    results = {}
    with postgres_database() as url:
        engine = make_engine(url)
        samples = []
        for round_no in range(3):
            official, ids = _seed(engine, round_no)

            def approve_all(official=official, ids=ids):
                with Session(engine, expire_on_commit=False) as s:
                    result = decisions.approve_requests(s, official, ids)
                    s.commit()
                assert len(result.decided) == BATCH

            samples.append(time_ms(approve_all))
        with Session(engine) as s:
            audits = s.exec(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "role.request_approved")).one()
            emails = s.exec(select(func.count()).select_from(OutboxEmail)).one()
        results["approve_500_one_click_postgresql"] = {**summary(samples), "audit_rows": audits, "emails": emails}
        engine.dispose()
    return results


if __name__ == "__main__":
    write_results("decisions", run())
