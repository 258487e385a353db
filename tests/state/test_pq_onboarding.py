"""The onboarding part of a PQ page: the help desk accepts the agreement, the Access
Coordinator asks for staff access, steps are marked; and the same events forged by others."""

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import AuditEvent, OnboardingChecklist, OrgRole, RoleRequest
from harmony_portal.services.onboarding import staff_access
from harmony_portal.state.pq_detail import PQDetailState
from harmony_portal.state.pq_onboarding import PQOnboardingState
from tests.services.onboarding.test_staff_access import upload
from tests.state.conftest import run_async

_SAM = {"staff_user_id": "sam.staff", "staff_email": "sam@example.org", "staff_role": "Staff"}


@pytest.fixture
def world(app_db, make):
    with session_scope() as s:
        a, b = make.org(s, "OBA", "Kenai Home Care"), make.org(s, "OBB", "Sitka Care")
        official = make.user(s, "official.ob")
        make.grant(s, official, a, "Security Official")
        coordinator = make.user(s, "coord.ob", first_name="Cora", last_name="Coordinator")
        make.grant(s, coordinator, a, "Staff")
        outsider = make.user(s, "coord.other")
        make.grant(s, outsider, b, "Access Coordinator")
        staff = make.user(s, "sam.staff", first_name="Sam", last_name="Staff", email="sam@example.org")
        desk = make.user(s, "desk.ob", is_admin=True)
        pq = make.pq(s, coordinator, a, inquiry_type="Access Request", subject="Access Coordinator for Kenai",
                     details="Signed agreement attached.")
        upload(s, coordinator, pq)
        ids = {u.user_id: u for u in (official, coordinator, outsider, staff, desk)}
        return ids, pq.id


async def _page(state_of):
    state = await state_of(PQOnboardingState)
    PQDetailState.load.fn(state.parent_state)
    PQOnboardingState.load_onboarding.fn(state)
    return state


def _accept(users, pq_id):
    with session_scope() as s:
        staff_access.accept_coordinator_agreement(s, users["desk.ob"], pq_id, users["coord.ob"].id)


def test_the_help_desk_accepts_then_the_coordinator_asks_and_marks(world, signed_in):
    users, pq_id = world
    path = f"/pq/{pq_id}"

    async def desk_accepts():
        state = await _page(signed_in(users["desk.ob"], path=path))
        candidates = [c["login"] for c in state.coordinator_candidates]
        PQOnboardingState.accept_agreement.fn(state, str(users["coord.ob"].id))
        return candidates, state.message, state.error, state.pq["status"]

    candidates, message, error, status = run_async(desk_accepts())
    assert candidates == ["coord.ob"] and error == ""
    assert message == "Access Coordinator Agreement accepted: Cora Coordinator is the Access Coordinator."
    assert status == "Resolved"

    async def coordinator_asks():
        state = await _page(signed_in(users["coord.ob"], path=path))
        may = state.may_request_staff
        PQOnboardingState.request_staff.fn(state, _SAM)
        rows = [dict(r) for r in state.staff_requests]
        for step in ("identity_account", "security_agreement"):
            PQOnboardingState.mark.fn(state, rows[0]["user"], step, True)
        return may, rows, [dict(r) for r in state.staff_requests], state.message

    may, before, after, message = run_async(coordinator_asks())
    assert may and before[0]["summary"] == "Checklist: 0 of 3" and before[0]["may_mark"] == "yes"
    assert (before[0]["name"], before[0]["role"], before[0]["status"]) == ("Sam Staff", "Staff", "Pending")
    assert after[0]["summary"] == "Checklist: 2 of 3" and after[0]["identity_account"] and not after[0]["training"]
    assert message == "Harmony Security Agreement signed: done."

    async def desk_overrides():
        state = await _page(signed_in(users["desk.ob"], path=path))
        PQOnboardingState.open_override.fn(state, before[0]["user"])
        PQOnboardingState.override_checklist.fn(state, {"override_reason": " "})
        refused = state.override_error
        PQOnboardingState.override_checklist.fn(state, {"override_reason": "Training booked for Monday."})
        return refused, state.override_open, state.staff_requests[0]["summary"]

    refused, still_open, summary = run_async(desk_overrides())
    assert "reason is required" in refused and not still_open
    assert summary == "Checklist: 2 of 3, overridden by an administrator"


def test_forged_acceptance_staff_requests_marks_and_overrides_are_refused(world, signed_in):
    users, pq_id = world
    path = f"/pq/{pq_id}"

    async def coordinator_names_themselves():  # before the help desk accepted anything
        state = await _page(signed_in(users["coord.ob"], path=path))
        PQOnboardingState.accept_agreement.fn(state, str(users["coord.ob"].id))
        accept_error = state.error
        PQOnboardingState.request_staff.fn(state, _SAM)
        return state.coordinator_candidates, accept_error, state.error

    candidates, accept_error, request_error = run_async(coordinator_names_themselves())
    assert candidates == [] and "Help Desk" in accept_error and "Access Coordinator" in request_error
    _accept(users, pq_id)

    async def outsider_and_official():
        refusals = []
        for who in ("coord.other", "official.ob", "sam.staff"):
            state = await _page(signed_in(users[who], path=path))
            PQOnboardingState.request_staff.fn(state, _SAM)
            refusals.append(state.error)
        return refusals

    assert all(run_async(outsider_and_official()))
    with session_scope() as s:
        assert s.exec(select(RoleRequest)).first() is None
        staff_access.request_staff_access(s, users["coord.ob"], pq_id, "sam.staff", "sam@example.org", "Staff")
    sam = users["sam.staff"].id

    async def strangers_mark_and_override():
        errors = []
        for who in ("coord.other", "sam.staff"):
            state = await _page(signed_in(users[who], path=path))
            PQOnboardingState.mark.fn(state, str(sam), "training", True)
            errors.append(state.error)
        state = await _page(signed_in(users["coord.ob"], path=path))
        state._override_user = sam  # as if the dialog had been opened for Sam
        PQOnboardingState.override_checklist.fn(state, {"override_reason": "Forged."})
        errors.append(state.override_error)
        PQOnboardingState.mark.fn(state, str(sam), "no-such-step", True)
        errors.append(state.error)
        return errors

    errors = run_async(strangers_mark_and_override())
    assert errors[:2] == ["No such user.", "No such user."]  # another organization's coordinator; Sam himself
    assert "administrator" in errors[2] and "Unknown checklist step" in errors[3]
    with session_scope() as s:
        row = s.get(OnboardingChecklist, sam)
        assert row.training_at is None and row.override_by_id is None
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "onboarding.overridden")).first()
        assert not s.exec(select(OrgRole).where(OrgRole.user_id == sam)).first()
