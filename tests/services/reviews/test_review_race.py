"""Two officials decide the same review row at the same moment, on PostgreSQL: one wins, the other is told."""

import threading

import pytest
from sqlmodel import Session, select

from harmony_portal.models import OrgRole, ReviewItem
from harmony_portal.services.reviews import decide, start

ROUNDS = 10


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_keep_and_remove_of_one_row_at_once_has_one_winner(engine, make, clock):
    with Session(engine, expire_on_commit=False) as s:
        org = make.org(s, "RR1")
        ann, bob, admin = make.user(s, "ann.rr"), make.user(s, "bob.rr"), make.user(s, "desk.rr", is_admin=True)
        make.grant(s, ann, org)
        make.grant(s, bob, org)
        holders = [make.user(s, f"h{n}.rr") for n in range(ROUNDS)]
        for holder in holders:
            make.grant(s, holder, org, "Staff")
        start.start_review(s, admin, org.id, "2026-12-31", "Keep access", now=clock.now())
        s.commit()
    for holder in holders:
        with Session(engine) as s:
            row = s.exec(select(ReviewItem.id).where(ReviewItem.user_id == holder.id)).one()
        barrier, results = threading.Barrier(2), {}

        def act(name, official, decision, row=row, barrier=barrier, results=results):
            with Session(engine, expire_on_commit=False) as s:
                barrier.wait()
                try:
                    results[name] = decide.decide(s, official, [row], decision, "Gone.", now=clock.now())
                    s.commit()
                except Exception as exc:  # reported by the assertions below
                    results[name] = exc

        threads = [threading.Thread(target=act, args=("keep", ann, decide.KEEP)),
                   threading.Thread(target=act, args=("remove", bob, decide.REMOVE))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        won = [name for name, result in results.items() if isinstance(result, decide.Decided) and result.decided]
        told = [name for name, result in results.items() if isinstance(result, decide.Decided) and result.already]
        assert len(won) == 1 and len(told) == 1, results
        with Session(engine) as s:
            held = s.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).first() is not None
            decision = s.exec(select(ReviewItem.decision).where(ReviewItem.id == row)).one()
        assert decision == won[0] and held == (won[0] == "keep")
