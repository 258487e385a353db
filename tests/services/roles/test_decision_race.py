"""Two officials decide the same request at the same moment, on PostgreSQL: exactly one wins."""

import threading

import pytest
from sqlmodel import Session, func, select

from harmony_portal.models import AuditEvent, OrgRole, OutboxEmail, RoleRequest
from harmony_portal.services.roles import decisions
from harmony_portal.services.roles import requests as roles
from harmony_portal.vocabulary import APPROVED, REJECTED

ROUNDS = 20


def _race(engine, request_id: int, approver, rejecter) -> dict[str, object]:
    """Approve in one thread and reject in another, released together by a barrier."""
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(name, call):
        with Session(engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                results[name] = call(s)
                s.commit()
            except Exception as exc:  # reported by the test, never swallowed
                results[name] = exc

    threads = [
        threading.Thread(target=decide, args=(APPROVED, lambda s: decisions.approve_requests(
            s, approver, [request_id]))),
        threading.Thread(target=decide, args=(REJECTED, lambda s: decisions.reject_requests(
            s, rejecter, [request_id], "Not on our staff list"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_concurrent_approve_and_reject_of_one_request_has_one_winner(engine, make):
    with Session(engine, expire_on_commit=False) as s:
        org = make.org(s, "RACE1", "Race Home")
        approver = make.user(s, "so.approve", first_name="Ada", last_name="Approve")
        rejecter = make.user(s, "so.reject", first_name="Rex", last_name="Reject")
        make.grant(s, approver, org)
        make.grant(s, rejecter, org)
        requester = make.user(s, "asker", first_name="Ann", last_name="Asker")
        s.commit()
    wins = {APPROVED: 0, REJECTED: 0}
    for n in range(ROUNDS):
        with Session(engine, expire_on_commit=False) as s:
            # A fresh role each round: a granted role would refuse the next request for it.
            request_id = roles.request_role(s, requester, org.id, "Staff", f"Round {n} of the race test").id
            s.commit()
        results = _race(engine, request_id, approver, rejecter)
        for outcome in results.values():
            assert not isinstance(outcome, Exception), outcome
        winners = [name for name, outcome in results.items() if [r.id for r in outcome.decided] == [request_id]]
        losers = [name for name, outcome in results.items() if outcome.already]
        assert len(winners) == 1 and len(losers) == 1, results
        loser_result = results[losers[0]]
        first = "Ada Approve" if winners[0] == APPROVED else "Rex Reject"
        assert loser_result.already == [(request_id, "Ann Asker", first)]
        with Session(engine) as s:
            assert s.get(RoleRequest, request_id).status == winners[0]
            target = f"request:{request_id}"
            decided_rows = s.exec(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.target == target, AuditEvent.action.in_(
                    ["role.request_approved", "role.request_rejected"]))).one()
            assert decided_rows == 1
            told = s.exec(select(func.count()).select_from(OutboxEmail).where(
                OutboxEmail.to_address == requester.email)).one()
            assert told == n + 1  # one verdict email per round, never two
            for grant in s.exec(select(OrgRole).where(OrgRole.user_id == requester.id)):
                s.delete(grant)  # so the next round may ask again
            s.commit()
        wins[winners[0]] += 1
    assert sum(wins.values()) == ROUNDS
