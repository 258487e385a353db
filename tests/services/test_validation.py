"""Length limits and control characters: refused with a field error on every engine.

PostgreSQL raises DataError for a value longer than its varchar column (SQLite stores it);
each service must refuse it first, naming the field, so no database error reaches a user.
"""

from dataclasses import replace

import pytest
from sqlmodel import select

from harmony_portal.models import PQ, Organization, OrgRole, OutboxEmail, PQNote, RoleRequest, TotpDevice, User
from harmony_portal.services import validation
from harmony_portal.services.accounts import profile as accounts
from harmony_portal.services.accounts import signup
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.roles import decisions, grants, organizations
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.signin import two_factor
from harmony_portal.services.signin.sessions import start_session
from tests.services.accounts.test_profile_and_signup import GOOD

# Each limited field and the column that stores it: the two must agree.
COLUMNS = {
    **{name: (User, name) for name in accounts.PROFILE_FIELDS if name != "date_of_birth"},
    "user_id": (User, "user_id"),
    "challenge_question": (User, "challenge_question"),
    "justification": (RoleRequest, "justification"),
    "rejection_reason": (RoleRequest, "reason"),
    "organization_id": (Organization, "id"),
    "organization_name": (Organization, "name"),
    "provider_type": (Organization, "provider_type"),
    "device_name": (TotpDevice, "name"),
    "subject": (PQ, "subject"),
    "details": (PQ, "details"),
    "note": (PQNote, "text"),
    "assigned_resource": (PQ, "assigned_resource"),
}


@pytest.mark.parametrize("field", sorted(COLUMNS))
def test_limits_agree_with_the_model_columns(field):
    model, column = COLUMNS[field]
    assert model.__table__.c[column].type.length == validation.MAX_LENGTHS[field]


def test_every_limit_has_a_label():
    assert set(validation.LABELS) == set(validation.MAX_LENGTHS)


@pytest.mark.parametrize("field", sorted(validation.MAX_LENGTHS))
def test_at_the_limit_is_accepted_one_more_is_refused(field):
    limit = validation.MAX_LENGTHS[field]
    assert validation.text_problem(field, "x" * limit) is None
    assert f"at most {limit}" in validation.text_problem(field, "x" * (limit + 1))


@pytest.mark.parametrize("bad", ["Ann\r\nBcc: victim@example.org", "Ann\nX", "Ann\x00", "Ann\x1b[31m",
                                 "Ann\u2028X", "Ann\x85X"])
def test_one_line_fields_refuse_control_characters(bad):
    assert "single line" in validation.text_problem("first_name", bad)


def test_free_text_keeps_line_breaks_but_not_other_control_characters():
    assert validation.text_problem("justification", "First line.\r\nSecond line.\tIndented.") is None
    assert "control characters" in validation.text_problem("justification", "Needs access\x00 now.")


# --- through the services, on SQLite and PostgreSQL ---

LONG = {name: "A" * (limit + 1) for name, limit in validation.MAX_LENGTHS.items()}


def _sign_up_errors(session, clock, **changes):
    with pytest.raises(Invalid) as caught:
        signup.sign_up(session, replace(GOOD, **changes), now=clock.now())
    return caught.value.errors


@pytest.mark.parametrize("field", ["first_name", "middle_name", "last_name", "address_line1", "address_line2",
                                   "city", "challenge_question", "challenge_answer"])
def test_sign_up_refuses_an_over_long_field_by_name(session, clock, field):
    errors = _sign_up_errors(session, clock, **{field: LONG[field]})
    assert f"at most {validation.MAX_LENGTHS[field]}" in errors[field]
    assert session.exec(select(User)).all() == []


def test_sign_up_refuses_over_long_foreign_address_fields(session, clock):
    # Outside the USA no format check applies to state and ZIP: only the length limit does.
    errors = _sign_up_errors(session, clock, country="C" * 61, state=LONG["state"], zip_code=LONG["zip_code"],
                             zip_extension=LONG["zip_extension"])
    assert set(errors) >= {"country", "state", "zip_code", "zip_extension"}


def test_sign_up_refuses_over_long_user_id_email_and_phone(session, clock):
    errors = _sign_up_errors(session, clock, user_id="u" * 65, email="e" * 64 + "@" + "d" * 250 + ".org",
                             phone="1" * 40)
    assert set(errors) >= {"user_id", "email", "phone"}


@pytest.mark.parametrize("field", ["first_name", "middle_name", "last_name"])
def test_names_used_in_email_refuse_header_injection(session, clock, field):
    errors = _sign_up_errors(session, clock, **{field: "Ann\r\nBcc: everyone@example.org"})
    assert "single line" in errors[field]


def test_email_refuses_control_characters(session, clock):
    assert "email" in _sign_up_errors(session, clock, email="ann\x00@example.org")


def test_profile_update_refuses_over_long_fields_and_keeps_the_old_values(session, clock):
    user = signup.sign_up(session, GOOD, now=clock.now())
    form = replace(accounts.ProfileForm.of(user), first_name=LONG["first_name"], city=LONG["city"])
    with pytest.raises(Invalid) as caught:
        accounts.update_profile(session, user, form, now=clock.now())
    assert set(caught.value.errors) == {"first_name", "city"}
    session.flush()
    assert session.get(User, user.id).first_name == GOOD.first_name


def test_challenge_change_refuses_over_long_question_and_answer(session, clock):
    user = signup.sign_up(session, GOOD, now=clock.now())
    for field in ("challenge_question", "challenge_answer"):
        values = {"challenge_question": GOOD.challenge_question, "challenge_answer": "Taylorsville",
                  field: LONG[field]}
        with pytest.raises(Invalid) as caught:
            accounts.update_challenge(session, user, values["challenge_question"], values["challenge_answer"],
                                      GOOD.password)
        assert field in caught.value.errors


@pytest.fixture
def world(session, make):
    org = make.org(session, "A1", "Alpha Care")
    official = make.user(session, "so.one")
    make.grant(session, official, org)
    return {"org": org, "official": official, "requester": make.user(session, "pam")}


def test_role_request_refuses_an_over_long_justification(session, world):
    with pytest.raises(Invalid) as caught:
        roles.request_role(session, world["requester"], "A1", "Staff", LONG["justification"])
    assert "1000" in caught.value.errors["justification"]


def test_rejection_reason_over_the_limit_is_refused(session, world, make):
    request = make.request(session, world["requester"], world["org"])
    with pytest.raises(Invalid) as caught:
        decisions.reject_requests(session, world["official"], [request.id], LONG["rejection_reason"])
    assert "rejection_reason" in caught.value.errors
    session.flush()
    assert session.get(RoleRequest, request.id).status == "pending"


def test_removal_reason_over_the_limit_is_refused_and_the_role_kept(session, world, make):
    grant = make.grant(session, world["requester"], world["org"], "Staff")
    with pytest.raises(Invalid) as caught:
        grants.remove_role(session, world["official"], grant.id, reason=LONG["removal_reason"])
    assert "reason" in caught.value.errors
    assert session.get(OrgRole, grant.id) is not None


@pytest.mark.parametrize(("org_id", "name", "field"), [
    ("A" * 33, "Yukon Care", "id"),
    ("AK-1", LONG["organization_name"], "name"),
    ("AK-1", "Yukon Care\r\nBcc: everyone@example.org", "name"),
    ("AK-1\n", "Yukon Care", None),  # surrounding whitespace is trimmed, not refused
])
def test_add_organization_refuses_over_long_or_multi_line_values(session, org_id, name, field):
    if field is None:
        assert organizations.add_organization(session, org_id, name, "Nursing Home", actor=None).id == "AK-1"
        return
    with pytest.raises(Invalid) as caught:
        organizations.add_organization(session, org_id, name, "Nursing Home", actor=None)
    assert field in caught.value.errors


def test_longest_organization_name_still_fits_the_email_subject(session, make):
    # The subject column is 200 characters; "Role request waiting: ... at <200-char name>" is more.
    org = make.org(session, "A2", "N" * validation.MAX_LENGTHS["organization_name"])
    make.grant(session, make.user(session, "so.two"), org)
    roles.request_role(session, make.user(session, "pat"), "A2", "Staff", "Needs access for assessments.")
    session.flush()
    subject = session.exec(select(OutboxEmail.subject)).one()
    assert len(subject) <= 200 and subject.startswith("Role request waiting: Staff at NNN")


def test_device_name_refuses_control_characters(session, world):
    device, _secret = two_factor.begin_device(session, world["official"], "Phone")
    with pytest.raises(Invalid) as caught:
        two_factor.rename_device(session, world["official"], device.id, "Phone\x00")
    assert "device_name" in caught.value.errors


def test_an_over_long_ip_or_target_never_fails_the_audited_change(session, make):
    user = make.user(session, "pat")
    start_session(session, user, ip="1" * 300)
    audit.record(session, "test.event", target="t" * 300, ip="1" * 300)
    session.flush()
