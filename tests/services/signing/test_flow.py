"""Signing an Access Request in the portal: order, who may sign, real signatures, and the attacks."""

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlmodel import select

from harmony_portal.models import PQ, Attachment, AuditEvent, FormSigner, OutboxEmail, SigningForm
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.signing import document, endings, flow, queries
from harmony_portal.services.signing.certificates import signing_identity
from harmony_portal.services.signing.store import stored_pdf
from tests.services.signing.helpers import code, start, user


def test_three_signers_in_order_give_three_valid_pades_signatures(session, world, clock):
    form = start(session, world, clock)
    assert [s.state for s in session.exec(select(FormSigner).order_by(FormSigner.position))] == [
        "signed", "asked", "waiting"]
    with pytest.raises(NotAllowed, match="not your turn"):  # the agency signer can't go before the supervisor
        flow.sign(session, user(world, "als"), form.id, code(world, "als", clock), now=clock.now())
    flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    flow.sign(session, user(world, "als"), form.id, code(world, "als", clock), now=clock.now())
    assert session.get(SigningForm, form.id).status == "signed"
    pdf = stored_pdf(session, form)
    assert document.validate(pdf, signing_identity()).summary(3) == "3 valid signatures"
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert [s.field_name for s in embedded] == ["requester", "supervisor", "agency_signer"]
    # Each signature names its signer and User ID, and carries its time.
    assert [str(s.sig_object["/Name"]) for s in embedded] == ["Ann Signer (ann)", "Sue Signer (sue)",
                                                              "Als Signer (als)"]
    assert all(s.self_reported_timestamp is not None for s in embedded)
    actions = [a for a in session.exec(select(AuditEvent.action)) if a.startswith("pq.")]
    assert actions.count("pq.form_signed") == 3 and "pq.form_fully_signed" in actions
    assert queries.signature_counts(session, [world["pq"].id]) == {world["pq"].id: 3}
    assert queries.fully_signed_form(session, world["pq"].id).id == form.id


def test_a_byte_changed_in_the_signed_file_is_reported(session, world, clock):
    form = start(session, world, clock)
    pdf = bytearray(stored_pdf(session, form))
    at = bytes(pdf).find(b"stream\n") + 20
    pdf[at] ^= 1
    assert "the document changed after it was signed" in document.validate(bytes(pdf), signing_identity()).summary(1)


def test_who_may_be_named(session, world, clock):
    with pytest.raises(Invalid) as refused:
        start(session, world, clock, supervisor="zed", agency_signer="bob")
    assert "can't sign for this organization" in refused.value.errors["supervisor"]
    assert "can't sign for this organization" in refused.value.errors["agency_signer"]
    with pytest.raises(Invalid) as refused:
        start(session, world, clock, supervisor="ann", agency_signer="sue")
    assert "own direct supervisor" in refused.value.errors["supervisor"]
    with pytest.raises(Invalid) as refused:
        start(session, world, clock, supervisor="als", agency_signer="als")
    assert "someone other than the direct supervisor" in refused.value.errors["agency_signer"]
    with pytest.raises(Invalid) as refused:
        start(session, world, clock, supervisor="nobody-here")
    assert "No active account" in refused.value.errors["supervisor"]
    assert session.exec(select(SigningForm)).all() == []


def test_only_the_filer_starts_and_a_wrong_code_signs_nothing(session, world, clock):
    with pytest.raises(NotAllowed):
        flow.start(session, user(world, "bob"), world["pq"].id, access_for="", supervisor="sue", agency_signer="als",
                   code=code(world, "bob", clock), now=clock.now())
    with pytest.raises(Invalid) as refused:
        flow.start(session, user(world, "ann"), world["pq"].id, access_for="", supervisor="sue", agency_signer="als",
                   code="000000", acknowledged=True, now=clock.now())
    assert "security_code" in refused.value.errors
    assert session.exec(select(SigningForm)).all() == []


def test_nobody_signs_twice_or_for_another_and_a_code_works_once(session, world, clock):
    form = start(session, world, clock)
    with pytest.raises(NotAllowed, match="signed this form already"):
        flow.sign(session, user(world, "ann"), form.id, code(world, "ann", clock), now=clock.now())
    with pytest.raises(NotAllowed, match="not asked"):  # bob is not on the form at all
        flow.sign(session, user(world, "bob"), form.id, code(world, "bob", clock), now=clock.now())
    with pytest.raises(NotAllowed):  # an id that is no form, or not an id
        flow.sign(session, user(world, "sue"), "1", code(world, "sue", clock), now=clock.now())
    used = code(world, "sue", clock)
    flow.sign(session, user(world, "sue"), form.id, used, now=clock.now())
    assert [s.state for s in session.exec(select(FormSigner).order_by(FormSigner.position))] == [
        "signed", "signed", "asked"]


def test_access_for_another_person_they_sign_first(session, world, clock):
    form = start(session, world, clock, access_for="bob")
    signers = session.exec(select(FormSigner).order_by(FormSigner.position)).all()
    assert [(s.user_id, s.state) for s in signers][:2] == [(user(world, "bob").id, "asked"), (user(world, "sue").id,
                                                                                             "waiting")]
    with pytest.raises(NotAllowed, match="not your turn"):
        flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    with pytest.raises(Invalid, match="Tick each acknowledgement"):  # the requester accepts them by signing
        flow.sign(session, user(world, "bob"), form.id, code(world, "bob", clock), now=clock.now())
    clock.advance(seconds=31)
    flow.sign(session, user(world, "bob"), form.id, code(world, "bob", clock), acknowledged=True, now=clock.now())
    assert queries.forms_to_sign(session, user(world, "sue"))[0]["role"] == "Direct supervisor"


def test_a_change_to_the_form_after_the_first_signature_voids_it_and_says_so(session, world, clock):
    form = start(session, world, clock)
    pq = session.get(PQ, world["pq"].id)
    ann = user(world, "ann")
    ann.phone = "907-555-0199"  # the requester's profile is on the form
    session.add(ann)
    with pytest.raises(Conflict, match="changed after it was started"):
        flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    assert session.get(SigningForm, form.id).status == "void"
    assert pq.id == form.pq_id
    titles = [e.subject for e in session.exec(select(OutboxEmail))]
    assert any("void" in t for t in titles)


def test_decline_and_withdraw_need_a_reason_and_tell_everyone_asked(session, world, clock):
    form = start(session, world, clock)
    with pytest.raises(Invalid):
        endings.decline(session, user(world, "sue"), form.id, "  ", now=clock.now())
    with pytest.raises(NotAllowed):  # not their turn
        endings.decline(session, user(world, "als"), form.id, "No.", now=clock.now())
    endings.decline(session, user(world, "sue"), form.id, "Ann moved to another team.", now=clock.now())
    assert session.get(SigningForm, form.id).status == "declined"
    assert any("declined" in e.subject and e.to_address.startswith("ann")
               for e in session.exec(select(OutboxEmail)))
    with pytest.raises(Conflict):
        flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    clock.advance(seconds=31)  # Ann's last code is used up; a new one for the new form
    again = start(session, world, clock)
    with pytest.raises(NotAllowed):  # a signer other than the requester can't withdraw
        endings.withdraw(session, user(world, "sue"), again.id, "Mine now", now=clock.now())
    endings.withdraw(session, user(world, "ann"), again.id, "Filed by mistake.", now=clock.now())
    assert session.get(SigningForm, again.id).status == "withdrawn"


def test_every_revision_is_a_private_attachment_of_the_pq(session, world, clock):
    form = start(session, world, clock)
    flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    files = session.exec(select(Attachment).where(Attachment.pq_id == world["pq"].id)).all()
    assert [f.filename for f in files] == [f"harmony-access-request-pq-{world['pq'].id}-signed-{n}-of-3.pdf"
                                           for n in (0, 1, 2)]


def test_the_help_desk_grants_from_the_fully_signed_form_to_the_person_it_is_for(session, world, clock, make):
    from harmony_portal.models import OrgRole
    from harmony_portal.services.pq.access_requests import grant_from_pq

    desk = make.user(session, "desk1", is_admin=True)
    with pytest.raises(Invalid, match="granted from a signed form"):
        grant_from_pq(session, desk, world["pq"].id, "SGN", "Assessment Coordinator", now=clock.now())
    form = start(session, world, clock, access_for="bob")
    for who in ("bob", "sue", "als"):
        flow.sign(session, user(world, who), form.id, code(world, who, clock), acknowledged=True, now=clock.now())
    grant_from_pq(session, desk, world["pq"].id, "SGN", "Assessment Coordinator", now=clock.now())
    holders = session.exec(select(OrgRole.user_id).where(OrgRole.role == "Assessment Coordinator")).all()
    assert holders == [user(world, "bob").id]  # not Ann, who filed the PQ


def test_the_signing_record_says_who_signed_when_with_the_hashes_and_only_to_those_who_see_the_pq(session, world,
                                                                                                  clock):
    from pypdf import PdfReader

    from harmony_portal.services.signing.record import signing_record

    form = start(session, world, clock)
    flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    name, data = signing_record(session, user(world, "sue"), form.id)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert name.endswith("signing-record.pdf") and "Signatures: 2 of 3" in text.replace("signatures", "Signatures")
    assert session.get(SigningForm, form.id).signed_sha256 in text.replace("\n", "")
    assert "Checked now: 2 valid signatures" in text and "Direct supervisor: Sue Signer (sue)" in text
    with pytest.raises(NotAllowed):  # Zed is at another organization
        signing_record(session, user(world, "zed"), form.id)


def test_the_signer_whose_turn_it_is_opening_the_pq_is_recorded_once(session, world, clock):
    form = start(session, world, clock)
    assert not flow.note_opened(session, user(world, "als"), world["pq"].id, now=clock.now())  # not their turn
    assert flow.note_opened(session, user(world, "sue"), world["pq"].id, now=clock.now())
    assert not flow.note_opened(session, user(world, "sue"), world["pq"].id, now=clock.now())  # once
    opened = session.exec(select(FormSigner).where(FormSigner.form_id == form.id, FormSigner.position == 2)).one()
    assert opened.opened_at == clock.now()
    assert session.exec(select(AuditEvent.action).where(AuditEvent.action == "pq.form_opened")).all() == [
        "pq.form_opened"]


def test_the_help_desk_queue_says_how_many_signatures_each_access_request_has(session, world, clock, make):
    from harmony_portal.models import Organization
    from harmony_portal.services.pq.help_desk_feeds import Filters, queue_rows

    desk = make.user(session, "desk2", is_admin=True)
    question = make.pq(session, user(world, "ann"), session.get(Organization, "SGN"), now=clock.now())
    form = start(session, world, clock)
    flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    rows = {r["id"]: r["signatures"] for r in queue_rows(session, desk, Filters(), now=clock.now())}
    assert rows[str(world["pq"].id)] == "Signatures: 2 of 3"
    assert rows[str(question.id)] == ""  # not an Access Request: nothing to sign


def test_what_changed_while_the_form_went_round_is_checked_when_signing(session, world, clock):
    """The deadline (whether or not the expiry job ran), the signer's role (demoted since they were
    named) and a fully signed form (no second form started over it) are checked at the moment of acting."""
    from datetime import timedelta

    from harmony_portal.models import OrgRole

    form = start(session, world, clock)
    demoted = session.exec(select(OrgRole).where(OrgRole.user_id == user(world, "als").id)).one()
    flow.sign(session, user(world, "sue"), form.id, code(world, "sue", clock), now=clock.now())
    demoted.role = "Staff"  # no longer Access Coordinator: can't sign as the agency's authorized signer
    session.add(demoted)
    with pytest.raises(NotAllowed, match="no longer hold a role"):
        flow.sign(session, user(world, "als"), form.id, code(world, "als", clock), now=clock.now())
    late = clock.now() + timedelta(days=30)
    with pytest.raises(Conflict, match="no longer being signed"):
        flow.sign(session, user(world, "als"), form.id, code(world, "als", clock), now=late)
    assert session.get(SigningForm, form.id).status == "expired"


def test_no_second_form_is_started_over_a_fully_signed_one(session, world, clock):
    form = start(session, world, clock)
    for who in ("sue", "als"):
        flow.sign(session, user(world, who), form.id, code(world, who, clock), now=clock.now())
    clock.advance(seconds=31)
    with pytest.raises(Conflict, match="already signed by all three"):
        start(session, world, clock)
