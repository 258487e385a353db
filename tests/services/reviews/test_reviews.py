"""Access reviews on a fixed clock: starting one (a snapshot of every role and last sign-in), officials keeping
and removing (never their own; one wins a race), the help desk's fallback, progress, reminders, the due date,
repeating, and the CSV."""

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from harmony_portal.models import AccessReview, AuditEvent, Notification, OrgRole, ReviewItem, UserSession
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.reviews import decide, queries, start, sweeps
from harmony_portal.services.roles import grants, terms
from harmony_portal.vocabulary import STAFF


@pytest.fixture
def world(session, make, clock):
    """Org R1 with officials Ann and Bob and staff Cy (signed in yesterday) and Di (never signed in); org R2 whose
    only official is Eve; an administrator."""
    r1, r2 = make.org(session, "R1", "Raven Home"), make.org(session, "R2", "Robin Home")
    ann, bob, cy, di, eve = (make.user(session, n) for n in ("ann.r", "bob.r", "cy.r", "di.r", "eve.r"))
    for official in (ann, bob):
        make.grant(session, official, r1)
    make.grant(session, eve, r2)
    for staff in (cy, di):
        make.grant(session, staff, r1, STAFF)
    session.add(UserSession(user_id=cy.id, token_hash="cy-session", created_at=clock.now() - timedelta(days=1),
                            last_seen_at=clock.now(), second_factor_at=clock.now() - timedelta(days=1)))
    admin = make.user(session, "desk.r", is_admin=True)
    session.flush()
    return {"ann": ann, "bob": bob, "cy": cy, "di": di, "eve": eve, "admin": admin}


def _start(session, clock, who, org="", due="2026-12-01", setting="End access", repeat=""):
    return start.start_review(session, who, org, due, setting, repeat_days=repeat, now=clock.now())


def _item(session, user):
    return session.exec(select(ReviewItem).where(ReviewItem.user_id == user.id)).one()


def test_only_an_administrator_starts_a_review_and_its_fields_are_checked(session, clock, world):
    with pytest.raises(NotAllowed):
        _start(session, clock, world["ann"])
    with pytest.raises(Invalid) as caught:
        _start(session, clock, world["admin"], org="NOPE", due="2026-11-18", setting="Maybe", repeat="3")
    assert set(caught.value.errors) == {"organization", "due_on", "if_not_reviewed", "repeat_days"}


def test_a_review_snapshots_every_role_with_the_last_sign_in_and_tells_the_officials(session, clock, world):
    review = _start(session, clock, world["admin"])
    items = session.exec(select(ReviewItem).where(ReviewItem.review_id == review.id)).all()
    assert len(items) == 5  # every role, the officials' own included
    assert _item(session, world["cy"]).recommended is False
    assert _item(session, world["di"]).recommended is True and _item(session, world["di"]).last_sign_in_at is None
    titles = session.exec(select(Notification.title).where(Notification.user_id == world["ann"].id)).all()
    assert "Access review started" in titles
    assert queries.progress(session, world["admin"])[0]["progress"] == "0 of 5 reviewed"


def test_a_full_first_page_says_how_many_rows_wait_and_decided_rows_make_room(session, clock, world, monkeypatch):
    _start(session, clock, world["admin"])
    monkeypatch.setattr(queries, "SHOWN", 2)
    rows, total = queries.waiting(session, world["ann"])  # Bob, Cy and Di wait for Ann; two are shown
    assert len(rows) == 2 and total == 3
    decide.decide(session, world["ann"], [int(rows[0]["id"])], decide.KEEP, now=clock.now())
    after, total = queries.waiting(session, world["ann"])
    assert total == 2 and rows[0]["id"] not in {r["id"] for r in after} and rows[1]["id"] in {r["id"] for r in after}
    assert queries.waiting(session, world["eve"]) == ([], 0)  # her only row is her own: the help desk's


def test_officials_decide_their_organizations_rows_never_their_own(session, clock, world):
    _start(session, clock, world["admin"])
    ann_rows = {r["name"] for r in queries.rows_for(session, world["ann"])}
    assert ann_rows == {f"{u.first_name} {u.last_name}" for u in (world["bob"], world["cy"], world["di"])}
    with pytest.raises(NotAllowed, match="own roles"):
        decide.decide(session, world["ann"], [_item(session, world["ann"]).id], decide.KEEP, now=clock.now())
    with pytest.raises(NotAllowed, match="organizations you represent"):
        decide.decide(session, world["ann"], [_item(session, world["eve"]).id], decide.KEEP, now=clock.now())
    with pytest.raises(Invalid) as caught:
        decide.decide(session, world["ann"], [_item(session, world["di"]).id], decide.REMOVE, "  ", now=clock.now())
    assert "removal_reason" in caught.value.errors
    decide.decide(session, world["ann"], [_item(session, world["cy"]).id], decide.KEEP, now=clock.now())
    decide.decide(session, world["ann"], [_item(session, world["di"]).id], decide.REMOVE, "Left in October.",
                  now=clock.now())
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["di"].id)).all() == []  # at once
    removed = json.loads(session.exec(select(AuditEvent).where(AuditEvent.action == "role.removed")).one().detail)
    assert removed["via"] == "access review" and "Left in October." in removed["reason"]
    shown = queries.progress(session, world["admin"])[0]
    assert shown["progress"] == "2 of 5 reviewed"
    assert shown["organizations"].split("\n") == ["R1: 2 of 4 reviewed (never opened)",
                                                   "R2: 0 of 1 reviewed (never opened)"]
    queries.mark_opened(session, world["bob"], now=clock.now())
    assert queries.progress(session, world["admin"])[0]["organizations"].startswith("R1: 2 of 4 reviewed\n")


def test_two_officials_deciding_one_row_one_wins_and_the_other_is_told(session, clock, world):
    _start(session, clock, world["admin"])
    row = _item(session, world["cy"]).id
    first = decide.decide(session, world["ann"], [row], decide.KEEP, now=clock.now())
    second = decide.decide(session, world["bob"], [row], decide.REMOVE, "Not ours.", now=clock.now())
    assert len(first.decided) == 1 and second.decided == []
    assert second.already == [(f"{world['cy'].first_name} {world['cy'].last_name}",
                               f"{world['ann'].first_name} {world['ann'].last_name}")]
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["cy"].id)).one()  # kept


def test_the_help_desk_decides_where_no_other_official_can(session, clock, world):
    _start(session, clock, world["admin"])
    desk_rows = {r["name"] for r in queries.rows_for(session, world["admin"])}
    assert f"{world['eve'].first_name} {world['eve'].last_name}" in desk_rows  # Eve is R2's only official
    assert f"{world['cy'].first_name} {world['cy'].last_name}" not in desk_rows  # R1 has officials for Cy
    decide.decide(session, world["admin"], [_item(session, world["eve"]).id], decide.KEEP, now=clock.now())


def test_reminders_7_and_1_days_before_then_undecided_rows_end_and_the_review_repeats(session, clock, world):
    review = _start(session, clock, world["admin"], due="2026-12-01", repeat="90")
    decide.decide(session, world["ann"], [_item(session, world["cy"]).id], decide.KEEP, now=clock.now())
    sweeps.remind(session, "all", review.due_at - timedelta(days=7))
    sweeps.remind(session, "all", review.due_at - timedelta(days=6))
    sweeps.remind(session, "all", review.due_at - timedelta(hours=20))
    titles = session.exec(select(Notification.title).where(Notification.user_id == world["bob"].id)).all()
    assert titles.count("Access review due in 7 days") == 1 and titles.count("Access review due in 1 day") == 1
    assert queries.never_opened(session, world["admin"], review.id) == ["R1", "R2"]
    queries.mark_opened(session, world["ann"], now=clock.now())
    assert queries.never_opened(session, world["admin"], review.id) == ["R2"]
    sweeps.close_due(session, "all", review.due_at)
    assert session.get(AccessReview, review.id).finished_at == review.due_at
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["di"].id)).all() == []  # ended
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["cy"].id)).one()  # kept by Ann
    assert _item(session, world["di"]).decision == sweeps.ENDED
    following = session.exec(select(AccessReview).where(AccessReview.id != review.id)).one()
    assert following.due_on == date(2026, 12, 1) + timedelta(days=90) and following.repeat_days == 90


def test_keep_access_keeps_undecided_rows_and_the_csv_is_formula_safe(session, clock, world, make):
    world["di"].first_name = "=HYPERLINK(1)"
    session.add(world["di"])
    review = _start(session, clock, world["admin"], setting="Keep access")
    sweeps.close_due(session, "all", review.due_at)
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["di"].id)).one()
    assert _item(session, world["di"]).decision == sweeps.KEPT
    text = queries.export_csv(session, world["admin"], review.id)
    assert "'=HYPERLINK(1)" in text and "=HYPERLINK" not in text.replace("'=HYPERLINK", "")
    with pytest.raises(NotAllowed):
        queries.export_csv(session, world["ann"], review.id)


def test_a_finished_review_takes_no_more_decisions(session, clock, world):
    review = _start(session, clock, world["admin"], setting="Keep access")
    sweeps.close_due(session, "all", review.due_at)
    with pytest.raises(NotAllowed, match="open review"):
        decide.decide(session, world["ann"], [_item(session, world["cy"]).id], decide.KEEP, now=clock.now())


def _grant(session, user):
    return session.exec(select(OrgRole).where(OrgRole.user_id == user.id)).one()


def test_a_role_that_ends_outside_the_review_leaves_it_and_the_csv_says_how(session, clock, world):
    review = _start(session, clock, world["admin"])
    # Cy's role reaches its end date; Di's is removed by Ann on User Roles; Bob's was kept by Ann first.
    cy_role = _grant(session, world["cy"])
    terms.set_term(cy_role, clock.now().date() - timedelta(days=2))
    session.add(cy_role)
    decide.decide(session, world["ann"], [_item(session, world["bob"]).id], decide.KEEP, now=clock.now())
    assert terms.end_due(session, now=clock.now()) == 1
    grants.remove_role(session, world["ann"], _grant(session, world["di"]).id, reason="Left", now=clock.now())
    assert _item(session, world["cy"]).decision == decide.EXPIRED
    di_row = _item(session, world["di"])
    assert di_row.decision == decide.REMOVED_ON_USER_ROLES and di_row.decided_by_id == world["ann"].id
    assert queries.rows_for(session, world["ann"]) == []  # Bob kept, Cy expired, Di removed: nothing left
    assert queries.progress(session, world["admin"])[0]["progress"] == "3 of 5 reviewed"
    text = queries.export_csv(session, world["admin"], review.id)
    assert ",ended (expired)," in text and ",removed on User Roles,ann.r," in text and ",keep,ann.r," in text


def test_an_official_who_decided_first_keeps_the_decision_when_the_role_then_ends(session, clock, world):
    _start(session, clock, world["admin"])
    decide.decide(session, world["ann"], [_item(session, world["cy"]).id], decide.KEEP, now=clock.now())
    grants.remove_role(session, world["bob"], _grant(session, world["cy"]).id, reason="Moved on", now=clock.now())
    assert _item(session, world["cy"]).decision == decide.KEEP  # decided in the review before it ended
    assert queries.progress(session, world["admin"])[0]["progress"] == "1 of 5 reviewed"
