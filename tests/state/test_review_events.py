"""Access review events as a forged client could send them: rows of another organization, an official's own
row, a review started by someone who is not an administrator. The server re-checks every one."""

from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import AccessReview, ReviewItem
from harmony_portal.services.reviews import start
from harmony_portal.state.access_reviews import AccessReviewsState
from harmony_portal.state.admin_reviews import AdminReviewsState
from tests.state.conftest import run_async


def test_forged_review_decisions_and_starts_change_nothing(app_db, make, signed_in, clock):
    with session_scope() as s:
        a, b = make.org(s, "RA"), make.org(s, "RB")
        so_a, so_b, admin = make.user(s, "so.ra"), make.user(s, "so.rb"), make.user(s, "desk.ra", is_admin=True)
        make.grant(s, so_a, a)
        make.grant(s, so_b, b)
        staff_b = make.user(s, "staff.rb")
        make.grant(s, staff_b, b, "Staff")
        for user in (so_a, so_b, admin):
            make.enrol(s, user)
        start.start_review(s, admin, "", "2030-01-31", "Keep access")
    with session_scope() as s:
        rows = {i.user_id: i.id for i in s.exec(select(ReviewItem))}

    async def scenario():
        official_a = await signed_in(so_a)(AccessReviewsState)
        official_a.selected = [str(rows[staff_b.id])]  # another organization's row
        await AccessReviewsState.keep.fn(official_a)
        other_org = official_a.error
        official_a.selected = [str(rows[so_a.id])]  # their own
        await AccessReviewsState.remove.fn(official_a, {"removal_reason": "forged"})
        own = official_a.error
        admin_state = await signed_in(so_a)(AdminReviewsState)
        AdminReviewsState.start_review.fn(admin_state, {"organization": "RA", "due_on": "2030-02-28",
                                                        "if_not_reviewed": "End access"})
        return other_org, own, admin_state.review_error

    other_org, own, not_admin = run_async(scenario())
    assert "organizations you represent" in other_org
    assert "own roles" in own
    assert "administrators" in not_admin
    with session_scope() as s:
        assert {i.decision for i in s.exec(select(ReviewItem))} == {""}
        assert len(s.exec(select(AccessReview)).all()) == 1


def test_select_all_checks_only_the_rows_the_official_decides(app_db, make, signed_in):
    with session_scope() as s:
        a, b = make.org(s, "SA"), make.org(s, "SB")
        so_a, so_b, admin = make.user(s, "so.sa"), make.user(s, "so.sb"), make.user(s, "desk.sa", is_admin=True)
        make.grant(s, so_a, a)
        make.grant(s, so_b, b)
        staff = [make.user(s, f"staff.s{n}") for n in range(3)]
        for person in staff[:2]:
            make.grant(s, person, a, "Staff")
        make.grant(s, staff[2], b, "Staff")
        make.enrol(s, so_a)
        start.start_review(s, admin, "", "2030-01-31", "Keep access")
    with session_scope() as s:
        rows = {i.user_id: str(i.id) for i in s.exec(select(ReviewItem))}

    async def scenario():
        official = await signed_in(so_a)(AccessReviewsState)
        await AccessReviewsState.toggle_all.fn(official, True)
        every = (sorted(official.selected), official.all_selected)
        await AccessReviewsState.toggle_all.fn(official, False)
        return every, (official.selected, official.all_selected)

    (every, all_selected), none = run_async(scenario())
    # Their organization's staff, never their own row nor another organization's.
    assert every == sorted(rows[p.id] for p in staff[:2]) and all_selected is True
    assert none == ([], False)
