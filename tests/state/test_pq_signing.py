"""Signing an Access Request from its PQ page: the handlers ask the services, and forged events
(someone not on the form, out of turn, withdrawing what isn't theirs) change nothing."""

from datetime import UTC, datetime

from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import FormSigner, SigningForm
from harmony_portal.services.security import current_totp
from harmony_portal.state.pq_signing import ACK_FIELDS, PQSigningState
from tests.state.conftest import run_async

ACKED = dict.fromkeys(ACK_FIELDS, "on")


def _people(make):
    with session_scope() as s:
        org, other = make.org(s, "SIG", "Seward Care"), make.org(s, "SOT", "Somewhere Else")
        people = {}
        for key, role, where in (("ann.s", "Staff", org), ("sue.s", "Staff", org), ("al.s", "Access Coordinator", org),
                                 ("bob.s", "Staff", org), ("zed.s", "Security Official", other)):
            user = make.user(s, key)
            make.grant(s, user, where, role)
            people[key] = (user, make.enrol(s, user))
        pq = make.pq(s, people["ann.s"][0], org, inquiry_type="Access Request", subject="Access please")
        return people, pq.id


def _code(people, who):
    return current_totp(people[who][1], datetime.now(UTC))


def _page(signed_in, people, who, pq_id):
    return signed_in(people[who][0], path=f"/pq/{pq_id}")


async def _open(state_of):
    state = await state_of(PQSigningState)
    PQSigningState.load.fn(state)
    return state


def _signers():
    with session_scope() as s:
        return [x.state for x in s.exec(select(FormSigner).order_by(FormSigner.position))]


def test_the_filer_signs_first_then_the_supervisor_from_their_own_page(app_db, make, signed_in):
    people, pq_id = _people(make)

    async def scenario():
        ann = await _open(_page(signed_in, people, "ann.s", pq_id))
        assert ann.signing["may_start"] == "yes" and ann.signing["prefill_access_for"] == "ann.s"
        PQSigningState.open_sign.fn(ann, {"access_for": "ann.s", "supervisor": "sue.s", "agency_signer": "al.s",
                                          **ACKED})
        assert ann.sign_open
        await PQSigningState.verify.fn(ann, {"security_code": "000000"})  # wrong: the dialog stays, says why
        wrong = (ann.sign_open, dict(ann.sign_errors))
        await PQSigningState.verify.fn(ann, {"security_code": _code(people, "ann.s")})
        after_ann = (ann.message, ann.signing["signed"], ann.sign_open)
        sue = await _open(_page(signed_in, people, "sue.s", pq_id))
        assert sue.signing["my_turn"] == "yes" and sue.signing["may_start"] == ""
        PQSigningState.open_sign.fn(sue, {})
        await PQSigningState.verify.fn(sue, {"security_code": _code(people, "sue.s")})
        return wrong, after_ann, sue.message, sue.signing["signed"], [s["state"][:6] for s in sue.signers]

    wrong, after_ann, message, signed, states = run_async(scenario())
    assert wrong[0] and "security_code" in wrong[1]
    assert after_ann == ("You signed the form.", "1", False)
    assert (message, signed, states) == ("You signed the form.", "2", ["signed", "signed", "asked "])


def test_a_refused_name_goes_back_to_the_form_as_typed(app_db, make, signed_in):
    people, pq_id = _people(make)

    async def scenario():
        ann = await _open(_page(signed_in, people, "ann.s", pq_id))
        PQSigningState.open_sign.fn(ann, {"access_for": "", "supervisor": "zed.s", "agency_signer": "bob.s", **ACKED})
        await PQSigningState.verify.fn(ann, {"security_code": _code(people, "ann.s")})
        return ann.sign_open, dict(ann.sign_errors), dict(ann.sign_values)

    is_open, errors, typed = run_async(scenario())
    assert not is_open and "can't sign for this organization" in errors["supervisor"]
    assert "can't sign for this organization" in errors["agency_signer"]
    assert (typed["supervisor"], typed["agency_signer"]) == ("zed.s", "bob.s")
    assert _signers() == []


def test_forged_events_from_people_not_on_the_form_or_out_of_turn_change_nothing(app_db, make, signed_in):
    people, pq_id = _people(make)

    async def scenario():
        ann = await _open(_page(signed_in, people, "ann.s", pq_id))
        PQSigningState.open_sign.fn(ann, {"access_for": "", "supervisor": "sue.s", "agency_signer": "al.s", **ACKED})
        await PQSigningState.verify.fn(ann, {"security_code": _code(people, "ann.s")})
        refusals = []
        for who, act in (("bob.s", "verify"), ("al.s", "verify"), ("al.s", "decline"), ("bob.s", "withdraw"),
                         ("sue.s", "withdraw"), ("bob.s", "resend"), ("zed.s", "verify")):
            state = await _open(_page(signed_in, people, who, pq_id))
            if act == "verify":
                PQSigningState.open_sign.fn(state, {"access_for": who, "supervisor": "sue.s", "agency_signer": "al.s"})
                await PQSigningState.verify.fn(state, {"security_code": _code(people, who)})
            elif act == "resend":
                PQSigningState.resend.fn(state)
            else:
                getattr(PQSigningState, act).fn(state, {f"{act}_reason": "Forged."})
            refusals.append((who, act, state.error or state.reason_error))
        return refusals

    refusals = run_async(scenario())
    for who, act, said in refusals:
        assert said, f"{who}'s forged {act} was not refused"
    assert _signers() == ["signed", "asked", "waiting"]
    with session_scope() as s:
        assert s.exec(select(SigningForm)).one().status == "signing"


def test_decline_needs_a_reason_and_ends_the_form(app_db, make, signed_in):
    people, pq_id = _people(make)

    async def scenario():
        ann = await _open(_page(signed_in, people, "ann.s", pq_id))
        PQSigningState.open_sign.fn(ann, {"access_for": "", "supervisor": "sue.s", "agency_signer": "al.s", **ACKED})
        await PQSigningState.verify.fn(ann, {"security_code": _code(people, "ann.s")})
        sue = await _open(_page(signed_in, people, "sue.s", pq_id))
        PQSigningState.open_decline.fn(sue)
        PQSigningState.decline.fn(sue, {"decline_reason": "  "})
        empty = (sue.decline_open, sue.reason_error)
        PQSigningState.decline.fn(sue, {"decline_reason": "Ann is not on my team."})
        return empty, sue.decline_open, sue.signing["status"], sue.signing["ended"]

    empty, still_open, status, ended = run_async(scenario())
    assert empty[0] and "Enter a decline reason" in empty[1]
    assert not still_open and status == "declined" and "Ann is not on my team." in ended
