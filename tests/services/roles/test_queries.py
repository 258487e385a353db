"""Who sees a user's full profile (the User Roles page): only officials with a current tie."""

import pytest
from sqlmodel import select

from harmony_portal.models import OrgRole
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.roles import decisions, grants
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles import requests as roles


@pytest.fixture
def world(session, make):
    """Organization A with official so.a, organization B with official so.b, and a provider."""
    a, b = make.org(session, "A1", "Alpha Care"), make.org(session, "B1", "Beta Home")
    so_a, so_b = make.user(session, "so.a"), make.user(session, "so.b")
    make.grant(session, so_a, a)
    make.grant(session, so_b, b)
    return {"a": a, "b": b, "so_a": so_a, "so_b": so_b, "pam": make.user(session, "pam", phone="907-555-0100")}


def _refused(session, actor, user):
    with pytest.raises(NotAllowed):
        role_queries.user_roles(session, actor, user.id)


def test_official_sees_a_user_with_a_pending_request_at_their_organization(session, world, make):
    make.request(session, world["pam"], world["a"])
    user, grants = role_queries.user_roles(session, world["so_a"], world["pam"].id)
    assert user.phone == "907-555-0100" and grants == []


def test_official_sees_a_user_holding_a_role_but_only_their_organizations_roles(session, world, make):
    make.grant(session, world["pam"], world["a"], "Staff")
    make.grant(session, world["pam"], world["b"], "Staff")
    _user, grants = role_queries.user_roles(session, world["so_a"], world["pam"].id)
    assert [g["organization"] for g in grants] == ["A1"]


def test_official_of_another_organization_is_refused(session, world, make):
    make.request(session, world["pam"], world["a"])
    make.grant(session, world["pam"], world["a"], "Staff")
    _refused(session, world["so_b"], world["pam"])


def test_a_user_with_no_tie_at_all_is_refused(session, world):
    _refused(session, world["so_a"], world["pam"])


def test_after_a_rejection_the_profile_is_out_of_sight(session, world, make):
    request = make.request(session, world["pam"], world["a"])
    role_queries.user_roles(session, world["so_a"], world["pam"].id)
    decisions.reject_requests(session, world["so_a"], [request.id], "Not our employee")
    _refused(session, world["so_a"], world["pam"])


def test_after_a_cancelled_request_the_profile_is_out_of_sight(session, world, make):
    request = make.request(session, world["pam"], world["a"])
    roles.cancel_request(session, world["pam"], request.id)
    _refused(session, world["so_a"], world["pam"])


def test_after_the_role_is_removed_the_profile_is_out_of_sight(session, world, make):
    request = make.request(session, world["pam"], world["a"])
    decisions.approve_requests(session, world["so_a"], [request.id])
    grant = session.exec(select(OrgRole).where(OrgRole.user_id == world["pam"].id)).one()
    grants.remove_role(session, world["so_a"], grant.id, reason="Left the agency")
    _refused(session, world["so_a"], world["pam"])


def test_administrators_keep_access(session, world, make):
    admin = make.user(session, "desk", is_admin=True)
    user, _grants = role_queries.user_roles(session, admin, world["pam"].id)
    assert user.id == world["pam"].id
    make.grant(session, world["pam"], world["b"], "Staff")
    assert [g["organization"] for g in role_queries.user_roles(session, admin, world["pam"].id)[1]] == ["B1"]


def test_an_unknown_user_is_refused_even_for_administrators(session, make):
    admin = make.user(session, "desk", is_admin=True)
    with pytest.raises(NotAllowed):
        role_queries.user_roles(session, admin, 987654)


def test_administrators_see_every_role_and_look_up_any_organization_but_no_forged_one(session, world, make):
    admin = make.user(session, "desk", is_admin=True)
    make.grant(session, world["pam"], world["a"], "Staff")
    make.grant(session, world["pam"], world["b"], "Staff")
    _user, grants = role_queries.user_roles(session, admin, world["pam"].id)
    assert [g["organization"] for g in grants] == ["A1", "B1"]
    assert [c["id"] for c in role_queries.lookup_choices(session, admin)] == ["A1", "B1"]
    assert role_queries.lookup_users(session, admin, "B1")[1] == 2
    for forged in ("NOPE", "A1\x00", "x" * 500, ""):  # a NUL is refused here, never sent to PostgreSQL
        with pytest.raises(NotAllowed):
            role_queries.lookup_users(session, admin, forged)
    assert [c["id"] for c in role_queries.lookup_choices(session, world["so_a"])] == ["A1"]
