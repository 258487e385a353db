"""Reading PQs: who sees which PQ, note and attachment; the list and search; queue; history; figures."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import select

from harmony_portal.models import PQ, Attachment, OrgRole
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.pq.access import sees_internal, viewable_pq, visible_attachment
from harmony_portal.services.pq.detail import pq_page
from harmony_portal.services.pq.filing import add_note, take_pq, update_pq_status
from harmony_portal.services.pq.queries import PAGE_SIZE, help_desk_queue, list_pqs, next_overdue_at, weekly_stats


@pytest.fixture
def world(session, make, clock):
    a, b = make.org(session, "ORGA", "Alpine Care"), make.org(session, "ORGB", "Bering Homes")
    pa, pa2, pb = make.user(session, "provider_a"), make.user(session, "colleague_a"), make.user(session, "provider_b")
    make.grant(session, pa, a, "Staff")
    make.grant(session, pa2, a, "Access Coordinator")
    make.grant(session, pb, b, "Staff")
    admin = make.user(session, "helpdesk", is_admin=True)
    pq = make.pq(session, pa, a, subject="Respite billing code", details="Which code applies to respite care?",
                 now=clock.now())
    return {"a": a, "b": b, "pa": pa, "pa2": pa2, "pb": pb, "admin": admin, "pq": pq}


def _attach(session, pq, uploader, note=None, name="form.pdf"):
    row = Attachment(pq_id=pq.id, note_id=note.id if note else None, filename=name, content_type="application/pdf",
                     size=10, sha256="0" * 64, storage_key=f"key-{name}-{pq.id}", uploaded_by_id=uploader.id)
    session.add(row)
    session.flush()
    return row


def test_members_and_the_help_desk_see_a_pq_others_do_not(session, world):
    pq = world["pq"]
    for actor in (world["pa"], world["pa2"], world["admin"]):
        assert viewable_pq(session, actor, pq.id) is pq
    with pytest.raises(NotAllowed, match="No such PQ."):
        viewable_pq(session, world["pb"], pq.id)
    with pytest.raises(NotAllowed, match="No such PQ."):
        viewable_pq(session, world["pa"], 999999)
    assert sees_internal(world["admin"]) and not sees_internal(world["pa"])


def test_the_author_still_sees_a_pq_after_leaving_the_organization(session, world, make, clock):
    loner = make.user(session, "loner")
    pq = make.pq(session, world["admin"], world["b"], now=clock.now())  # filed by the help desk for ORGB
    with pytest.raises(NotAllowed):
        viewable_pq(session, loner, pq.id)
    make.grant(session, loner, world["b"], "Staff")
    mine = make.pq(session, loner, world["b"], now=clock.now())
    for grant in session.exec(select(OrgRole).where(OrgRole.user_id == loner.id)):
        session.delete(grant)
    session.flush()
    assert viewable_pq(session, loner, mine.id) is mine
    with pytest.raises(NotAllowed):
        viewable_pq(session, loner, pq.id)


def test_internal_notes_and_their_files_are_the_help_desks(session, world, make, clock):
    pq = world["pq"]
    general = make.note(session, world["pa"], pq, "Attached the form.", now=clock.now())
    internal = make.note(session, world["admin"], pq, "Caller sounded unsure.", note_type="Internal",
                         status="In Progress", now=clock.now())
    public_file, private_file = _attach(session, pq, world["pa"], general), _attach(session, pq, world["admin"],
                                                                                     internal, "memo.pdf")
    loose = _attach(session, pq, world["pa"], None, "loose.pdf")
    assert [n.id for n in pq_page(session, world["pa"], pq.id).notes] == [general.id]
    assert [n.id for n in pq_page(session, world["admin"], pq.id).notes] == [general.id, internal.id]
    assert [a.id for a in pq_page(session, world["pa2"], pq.id).attachments] == [public_file.id, loose.id]
    assert [a.id for a in pq_page(session, world["admin"], pq.id).attachments] == [public_file.id, private_file.id,
                                                                               loose.id]
    assert visible_attachment(session, world["pa"], public_file.id) is public_file
    assert visible_attachment(session, world["admin"], private_file.id) is private_file
    with pytest.raises(NotAllowed, match="No such PQ."):
        visible_attachment(session, world["pa"], private_file.id)


def test_another_organization_reads_no_note_attachment_or_history(session, world, make, clock):
    pq = world["pq"]
    note = make.note(session, world["pa"], pq, now=clock.now())
    file = _attach(session, pq, world["pa"], note)
    with pytest.raises(NotAllowed, match="No such PQ."):
        pq_page(session, world["pb"], pq.id)
    with pytest.raises(NotAllowed, match="No such PQ."):
        visible_attachment(session, world["pb"], file.id)
    with pytest.raises(NotAllowed, match="No such PQ."):
        visible_attachment(session, world["pb"], 424242)


def test_list_shows_providers_their_organizations_pqs_and_the_help_desk_all(session, world, make, clock):
    other = make.pq(session, world["pb"], world["b"], subject="Nursing home census", now=clock.now())
    rows, total = list_pqs(session, world["pa2"])
    assert ([r.id for r in rows], total) == ([world["pq"].id], 1)
    rows, total = list_pqs(session, world["pb"])
    assert [r.id for r in rows] == [other.id]
    rows, total = list_pqs(session, world["admin"])
    assert ([r.id for r in rows], total) == ([other.id, world["pq"].id], 2)
    assert list_pqs(session, world["pb"], number=world["pq"].id) == ([], 0)


def test_list_filters_and_searches_words(session, world, make, clock):
    make.pq(session, world["pa"], world["a"], inquiry_type="Billing", subject="Claim denied",
            details="A claim for March was denied.", now=clock.now())
    admin = world["admin"]
    assert [r.subject for r in list_pqs(session, admin, words="respite")[0]] == ["Respite billing code"]
    assert [r.subject for r in list_pqs(session, admin, words="claim denied")[0]] == ["Claim denied"]
    assert list_pqs(session, admin, words="glacier")[1] == 0
    assert [r.subject for r in list_pqs(session, admin, inquiry_type="Billing")[0]] == ["Claim denied"]
    assert list_pqs(session, admin, number=f"#{world['pq'].id}")[1] == 1
    assert list_pqs(session, admin, provider="alpine")[1] == 2
    assert list_pqs(session, admin, provider="ORGB")[1] == 0
    assert list_pqs(session, admin, status="Pending")[1] == 2
    assert list_pqs(session, admin, words="100%_care")[1] == 0  # LIKE wildcards are literal


def test_list_is_paginated(session, world, make, clock):
    for n in range(PAGE_SIZE + 2):
        make.pq(session, world["pb"], world["b"], subject=f"Question {n}", now=clock.now())
    first, total = list_pqs(session, world["pb"], page=1)
    second, _ = list_pqs(session, world["pb"], page=2)
    assert (len(first), len(second), total) == (PAGE_SIZE, 2, PAGE_SIZE + 2)
    assert not {r.id for r in first} & {r.id for r in second}


def test_totals_are_counted_up_to_a_limit_and_word_searches_page_either_way(session, world, make, clock,
                                                                             monkeypatch):
    from harmony_portal.services.pq import queries as pq_queries

    made = [make.pq(session, world["pb"], world["b"], subject=f"Respite question {n}", now=clock.now())
            for n in range(5)]
    monkeypatch.setattr(pq_queries, "PAGE_SIZE", 2)
    monkeypatch.setattr(pq_queries, "TOTAL_LIMIT", 3)
    assert list_pqs(session, world["admin"])[1] == 4  # more than 3
    assert list_pqs(session, world["pa"])[1] == 1  # exact below the limit
    newest = sorted((p.id for p in made), reverse=True)
    # Past the limit and frequent (the newest walked backwards), then few (the index's matches sorted).
    for limit, sort_up_to in ((3, 0), (100, 20_000)):
        monkeypatch.setattr(pq_queries, "TOTAL_LIMIT", limit)
        monkeypatch.setattr(pq_queries, "SORT_MATCHES_UP_TO", sort_up_to)
        pages = [list_pqs(session, world["admin"], words="respite question", page=n)[0] for n in (1, 2, 3)]
        assert [[r.id for r in rows] for rows in pages] == [newest[:2], newest[2:4], newest[4:]]


def test_the_queue_is_ordered_by_due_time_flags_overdue_and_is_the_help_desks(session, world, make, clock):
    early = world["pq"]
    late = make.pq(session, world["pb"], world["b"], now=clock.advance(hours=5))
    now = early.first_response_due_at + timedelta(minutes=1)  # 24 business hours on: the first is overdue
    rows = help_desk_queue(session, world["admin"], now=now)
    assert [(r.id, r.overdue) for r in rows] == [(early.id, True), (late.id, False)]
    assert [r.id for r in help_desk_queue(session, world["admin"], provider="ORGB", now=now)] == [late.id]
    update_pq_status(session, world["admin"], early.id, "Resolved", now=now)
    assert [r.id for r in help_desk_queue(session, world["admin"], now=now)] == [late.id]
    assert [r.id for r in help_desk_queue(session, world["admin"], status="Resolved", now=now)] == [early.id]
    for actor in (world["pa"], world["pb"]):
        with pytest.raises(NotAllowed):
            help_desk_queue(session, actor, now=now)


def test_history_tells_who_did_what_and_when_hiding_internal_notes(session, world, make, clock):
    pq = world["pq"]
    make.note(session, world["pa"], pq, now=clock.advance(minutes=5))
    take_pq(session, world["admin"], pq.id, now=clock.advance(minutes=5))
    add_note(session, world["admin"], pq.id, "Internal", "In Progress", "Checking.", now=clock.advance(minutes=5))
    full = pq_page(session, world["admin"], pq.id).history
    assert [h.action for h in full] == ["pq.created", "pq.note_added", "pq.taken", "pq.note_added",
                                        "pq.status_changed"]
    assert (full[0].actor_user_id, full[2].actor_user_id) == ("provider_a", "helpdesk")
    assert full[0].actor_name.startswith("Test ")
    seen = [h.action for h in pq_page(session, world["pa2"], pq.id).history]
    assert seen == ["pq.created", "pq.note_added", "pq.taken", "pq.status_changed"]


def test_weekly_figures_count_opened_answered_and_on_time(session, world, make, clock):
    pq = world["pq"]  # opened Wednesday
    add_note(session, world["admin"], pq.id, "Response", "Resolved", "Answered.", now=clock.now() + timedelta(hours=2))
    late = make.pq(session, world["pb"], world["b"], now=clock.now())
    # Answered Saturday morning: past the 24 business hours (due Friday noon).
    update_pq_status(session, world["admin"], late.id, "In Progress", now=clock.now() + timedelta(days=3))
    make.pq(session, world["pb"], world["b"], now=clock.now() - timedelta(days=7))  # last week, unanswered
    weeks = weekly_stats(session, world["admin"], weeks=3, now=clock.now() + timedelta(days=3, hours=1))
    assert [(w.opened, w.answered, w.answered_on_time) for w in weeks] == [(0, 0, 0), (1, 0, 0), (2, 2, 1)]
    assert weeks[-1].on_time_share == 0.5 and weeks[0].on_time_share is None
    assert weeks[-1].week_start.weekday() == 0 and weeks[-1].week_start.hour == 0
    with pytest.raises(NotAllowed):
        weekly_stats(session, world["pa"])


def test_weekly_figures_put_a_pq_in_its_alaska_week_across_the_change_to_daylight_time(session, world, make):
    # Daylight time began at 2:00 AM on Sunday, March 14, 2027 in Alaska; weeks start Monday midnight.
    alaska = ZoneInfo("America/Anchorage")
    for moment in (datetime(2027, 3, 8, 0, 30), datetime(2027, 3, 14, 23, 30), datetime(2027, 3, 15, 0, 10)):
        make.pq(session, world["pa"], world["a"], now=moment.replace(tzinfo=alaska))
    weeks = weekly_stats(session, world["admin"], weeks=3, now=datetime(2027, 3, 17, 12, tzinfo=alaska))
    assert [(w.week_start.astimezone(alaska).date(), w.opened) for w in weeks] == [
        (date(2027, 3, 1), 0), (date(2027, 3, 8), 2), (date(2027, 3, 15), 1)]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_postgresql_answers_the_word_search_from_the_stored_vectors_gin_index(session, world):
    from harmony_portal.services.pq.queries import _words_clause

    session.execute(text("SET LOCAL enable_seqscan = off"))
    statement = select(PQ.id).where(_words_clause(session, "respite care"))
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_pq_search_vector" in plan


def test_the_next_overdue_moment_is_the_earliest_due_time_still_waiting_for_a_first_response(session, world, make,
                                                                                              clock):
    first = world["pq"]  # filed Wednesday 9:00 AM AKST: due 24 business hours later
    later = make.pq(session, world["pb"], world["b"], now=clock.advance(hours=2))
    answered = make.pq(session, world["pa"], world["a"], now=clock.now() - timedelta(hours=5))
    add_note(session, world["admin"], answered.id, "Response", "In Progress", "On it.", now=clock.now())
    closed = make.pq(session, world["pa"], world["a"], now=clock.now() - timedelta(hours=6))
    update_pq_status(session, world["admin"], closed.id, "Closed", now=clock.now())
    assert next_overdue_at(session, now=clock.now()) == first.first_response_due_at
    assert next_overdue_at(session, now=first.first_response_due_at) == later.first_response_due_at
    assert next_overdue_at(session, now=later.first_response_due_at) is None
