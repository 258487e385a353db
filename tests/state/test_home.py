"""Home: the PQs I filed, and my own onboarding checklist once my access waits for it."""

from harmony_portal.db import session_scope
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.state.home import HomeState
from tests.state.conftest import run_async


def _home(state_of):
    async def scenario():
        home = await state_of(HomeState)
        HomeState.load.fn(home)
        return home

    return run_async(scenario())


def test_my_pqs_are_the_ones_i_filed_newest_first(app_db, make, signed_in):
    with session_scope() as s:
        org = make.org(s, "HM1", "Homer Home Care")
        me, colleague = make.user(s, "me.home"), make.user(s, "colleague.home")
        for person in (me, colleague):
            make.grant(s, person, org, "Staff")
        first = make.pq(s, me, org, subject="Respite billing")
        make.pq(s, colleague, org, subject="Not mine")
        second = make.pq(s, me, org, subject="Access for a new aide", inquiry_type="Access Request")

    home = _home(signed_in(me))
    assert [(r["id"], r["subject"], r["status"]) for r in home.my_pqs] == [
        (str(second.id), "Access for a new aide", "Pending"), (str(first.id), "Respite billing", "Pending")]
    assert home.my_pqs[0]["inquiry_type"] == "Access Request" and home.my_pqs[0]["updated"].endswith(("AKST", "AKDT"))
    assert _home(signed_in(colleague)).my_pqs[0]["subject"] == "Not mine"


def test_a_staff_member_sees_their_own_checklist_once_it_has_started(app_db, make, signed_in):
    with session_scope() as s:
        desk = make.user(s, "desk.home", is_admin=True)
        staff, other = make.user(s, "staff.home"), make.user(s, "other.home")
        onboarding.start(s, staff.id)
        onboarding.mark_step(s, desk, staff.id, "identity_account")

    home = _home(signed_in(staff))
    assert home.checklist_summary == "Checklist: 1 of 3"
    assert [step["label"] for step in home.checklist] == list(onboarding.STEPS.values())
    assert home.checklist[0]["done"].endswith(("AKST", "AKDT")) and [s["done"] for s in home.checklist[1:]] == ["", ""]
    assert home.checklist_override == ""
    nobody_waits = _home(signed_in(other))
    assert nobody_waits.checklist == [] and nobody_waits.checklist_summary == ""
