"""Drafts: kept per user, upserted, size-limited, never handed to someone else."""

import pytest
from sqlmodel import select

from harmony_portal.models import Draft
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.pq.drafts import MAX_BYTES, discard_draft, load_draft, save_draft


@pytest.fixture
def people(session, make):
    a, b = make.org(session, "ORGA"), make.org(session, "ORGB")
    ann, bob = make.user(session, "ann"), make.user(session, "bob")
    make.grant(session, ann, a, "Staff")
    make.grant(session, bob, b, "Staff")
    return ann, bob, a


def test_a_draft_is_saved_replaced_loaded_and_discarded(session, people, clock):
    ann, _bob, _a = people
    assert load_draft(session, ann, "pq", "new") is None
    save_draft(session, ann, "pq", "new", {"subject": "Half typed"}, now=clock.now())
    save_draft(session, ann, "pq", "new", {"subject": "Half typed", "details": "More"}, now=clock.advance(seconds=5))
    assert load_draft(session, ann, "pq", "new") == {"subject": "Half typed", "details": "More"}
    assert len(session.exec(select(Draft)).all()) == 1
    discard_draft(session, ann, "pq", "new")
    assert load_draft(session, ann, "pq", "new") is None


def test_another_users_draft_is_never_returned_nor_discarded(session, people):
    ann, bob, _a = people
    save_draft(session, ann, "pq", "new", {"subject": "Ann's words"})
    assert load_draft(session, bob, "pq", "new") is None
    save_draft(session, bob, "pq", "new", {"subject": "Bob's words"})
    discard_draft(session, bob, "pq", "new")
    assert load_draft(session, ann, "pq", "new") == {"subject": "Ann's words"}


def test_a_note_draft_needs_a_pq_its_author_may_see(session, people, make, clock):
    ann, bob, a = people
    pq = make.pq(session, ann, a, now=clock.now())
    save_draft(session, ann, "note", pq.id, {"note": "Typing"})
    assert load_draft(session, ann, "note", str(pq.id)) == {"note": "Typing"}
    with pytest.raises(NotAllowed, match="No such PQ"):
        save_draft(session, bob, "note", pq.id, {"note": "Snooping"})
    with pytest.raises(NotAllowed, match="No such PQ"):
        load_draft(session, bob, "note", pq.id)


def test_unknown_kinds_oversized_and_unserialisable_drafts_are_refused(session, people):
    ann, _bob, _a = people
    with pytest.raises(Invalid):
        save_draft(session, ann, "password", "x", {})
    with pytest.raises(Invalid):
        save_draft(session, ann, "pq", "new", {"details": "x" * MAX_BYTES})
    with pytest.raises(Invalid):
        save_draft(session, ann, "pq", "new", {"when": object()})
    assert session.exec(select(Draft)).all() == []
