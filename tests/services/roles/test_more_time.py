""""Ask for more time": the holder of a role in its last 14 days asks to keep it; officials decide it as a
role request, and approving moves the last day instead of granting a second role."""

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, OrgRole, RoleRequest
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.roles import decisions, more_time, queries, terms
from harmony_portal.vocabulary import STAFF


@pytest.fixture
def ending(session, make, clock):
    """A Staff role whose last day is Nov 25 (a week after the clock's Nov 18), and its organization's official."""
    org = make.org(session, "M1", "Moose Home")
    official, holder = make.user(session, "so.moose"), make.user(session, "holder.moose")
    make.grant(session, official, org)
    grant = make.grant(session, holder, org, STAFF)
    terms.set_term(grant, date(2026, 11, 25))
    session.add(grant)
    session.flush()
    return official, holder, grant


def test_the_holder_asks_in_the_last_14_days_and_approval_moves_the_last_day(session, clock, ending):
    official, holder, grant = ending
    assert queries.my_roles(session, holder)[0]["more_time"] == ""  # the clock's real now is not Nov 18
    request = more_time.ask_more_time(session, holder, grant.id, "2027-02-28", "The project runs to February.",
                                      now=clock.now())
    row = queries.decidable_rows(session, official)[0]
    assert row["role"] == "Staff: more time, until Feb 28, 2027"
    decisions.approve_requests(session, official, [request.id], now=clock.now())
    held = session.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).all()
    assert len(held) == 1 and held[0].ends_on == date(2027, 2, 28)
    assert held[0].ends_at == terms.ends_at_for(date(2027, 2, 28)) and held[0].notified_days == 0
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "role.more_time_requested")).one()
    assert json.loads(audit.detail)["until"] == "2027-02-28"


def test_a_rejected_request_for_more_time_leaves_the_end_as_it_was(session, clock, ending):
    official, holder, grant = ending
    request = more_time.ask_more_time(session, holder, grant.id, "2027-02-28", "The project runs to February.",
                                      now=clock.now())
    decisions.reject_requests(session, official, [request.id], "Your contract ends in November.", now=clock.now())
    assert session.get(OrgRole, grant.id).ends_on == date(2026, 11, 25)


def test_what_is_refused(session, clock, ending, make):
    official, holder, grant = ending
    with pytest.raises(NotAllowed):
        more_time.ask_more_time(session, official, grant.id, "2027-02-28", "Not mine to ask.", now=clock.now())
    with pytest.raises(Invalid, match="last 14 days"):
        more_time.ask_more_time(session, holder, grant.id, "2027-02-28", "Too early to ask.",
                                now=clock.now() - timedelta(days=10))
    with pytest.raises(Invalid) as caught:
        more_time.ask_more_time(session, holder, grant.id, "2026-11-24", "Earlier than now.", now=clock.now())
    assert "after Nov 25, 2026" in caught.value.errors["ends_on"]
    with pytest.raises(Invalid) as caught:
        more_time.ask_more_time(session, holder, grant.id, "2027-02-28", "   ", now=clock.now())
    assert "justification" in caught.value.errors
    more_time.ask_more_time(session, holder, grant.id, "2027-02-28", "The project runs to February.",
                            now=clock.now())
    with pytest.raises(Invalid, match="still waiting"):
        more_time.ask_more_time(session, holder, grant.id, "2027-03-31", "Asking twice.", now=clock.now())
    assert len(session.exec(select(RoleRequest).where(RoleRequest.user_id == holder.id)).all()) == 1
