"""The Help Desk queue: administrators only, by due time, filters, Take, and the live push."""

import asyncio
from datetime import timedelta

import pytest
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live import help_desk as live_help_desk
from harmony_portal.live.help_desk import HelpDeskFeed, desk_token, push_help_desk
from harmony_portal.live.session_end import clear_feeds
from harmony_portal.models import PQ, Organization, User, UserSession, utc_now
from harmony_portal.services.signin.sessions import start_session
from harmony_portal.state.help_desk import REFUSAL, HelpDeskState
from tests.state.conftest import run_async, settle_pushes


@pytest.fixture(autouse=True)
def unlinked_feeds(monkeypatch):
    """Linking needs a real event's context; here each tab fills its own copy of the feed
    (linking itself: tests/e2e/test_help_desk_queue.py)."""

    async def stand_in(feed, _token):
        return feed

    monkeypatch.setattr("harmony_portal.live.help_desk._link", stand_in)


def _world(make):
    with session_scope() as s:
        org, other = make.org(s, "HD1", "Kenai Care"), make.org(s, "HD2", "Sitka Home")
        desk = make.user(s, "desk.q", first_name="Dana", last_name="Desk", is_admin=True)
        provider = make.user(s, "prov.q")
        make.grant(s, provider, org, "Staff")
        now = utc_now()
        late = make.pq(s, provider, org, subject="Late one", now=now - timedelta(days=10))
        soon = make.pq(s, provider, org, subject="Soon one", inquiry_type="Billing", now=now - timedelta(hours=1))
        elsewhere = make.pq(s, desk, other, subject="Other provider", now=now - timedelta(days=6))
    return desk, provider, {"late": late.id, "soon": soon.id, "elsewhere": elsewhere.id}


async def _page(state_of):
    state = await state_of(HelpDeskState)
    await HelpDeskState.load.fn(state)
    return state, await state.get_state(HelpDeskFeed)


def test_an_administrator_sees_the_queue_by_due_time_with_overdue_flags(app_db, make, signed_in):
    desk, _provider, ids = _world(make)

    async def scenario():
        state, feed = await _page(signed_in(desk))
        return state.refused, [dict(r) for r in feed.rows], list(feed.weeks), feed.summary, state.providers

    refused, rows, weeks, summary, providers = run_async(scenario())
    assert refused == ""
    assert [int(r["id"]) for r in rows] == [ids["late"], ids["elsewhere"], ids["soon"]]
    assert [r["overdue"] for r in rows] == ["yes", "yes", ""]
    assert rows[0]["provider"] == "Kenai Care" and rows[0]["subject"] == "Late one"
    assert rows[0]["due"].endswith(("AKST", "AKDT")) and " at " in rows[0]["due"]
    assert len(weeks) == 8 and sum(w["opened"] for w in weeks) >= 1
    assert summary.startswith("PQs per week") and "answered within 24 business hours" in summary
    assert {p["id"] for p in providers} >= {"HD1", "HD2"}


def test_a_provider_is_refused_and_gets_no_rows(app_db, make, signed_in):
    _desk, provider, ids = _world(make)
    with session_scope() as s:
        make.enrol(s, s.get(User, provider.id))

    async def scenario():
        state, feed = await _page(signed_in(provider))
        await HelpDeskState.set_status.fn(state, "Pending")
        filter_error = state.error
        HelpDeskState.take.fn(state, str(ids["soon"]))
        return state.refused, list(feed.rows), list(feed.weeks), state.providers, filter_error, state.error

    refused, rows, weeks, providers, filter_error, take_error = run_async(scenario())
    assert refused == REFUSAL
    assert rows == [] and weeks == [] and providers == []
    assert filter_error == REFUSAL
    assert take_error
    with session_scope() as s:
        assert s.get(PQ, ids["soon"]).taken_by_id is None


def test_take_assigns_the_pq_and_forged_ids_are_refused(app_db, make, signed_in):
    desk, _provider, ids = _world(make)

    async def scenario():
        state, _feed = await _page(signed_in(desk))
        HelpDeskState.take.fn(state, str(ids["soon"]))
        taken = state.message
        answers = []
        for forged in ("999999", "-1", None, ["1"], {"id": 1}, "1; drop", 10**12):
            HelpDeskState.take.fn(state, forged)
            answers.append(state.error)
        return taken, answers

    taken, answers = run_async(scenario())
    assert taken == f"You took PQ {ids['soon']}."
    assert all(answer == "No such PQ." for answer in answers)
    with session_scope() as s:
        assert s.get(PQ, ids["soon"]).taken_by_id == desk.id


def test_filters_requery_and_unknown_values_are_refused(app_db, make, signed_in):
    desk, _provider, ids = _world(make)

    async def scenario():
        state, feed = await _page(signed_in(desk))
        seen = {}
        await HelpDeskState.set_inquiry_type.fn(state, "Billing")
        seen["billing"] = [int(r["id"]) for r in feed.rows]
        await HelpDeskState.set_inquiry_type.fn(state, "")
        await HelpDeskState.set_provider.fn(state, "HD2")
        seen["hd2"] = [int(r["id"]) for r in feed.rows]
        await HelpDeskState.set_status.fn(state, "Closed")
        seen["closed"] = [int(r["id"]) for r in feed.rows]
        await HelpDeskState.set_status.fn(state, "")
        errors = []
        for setter, value in ((HelpDeskState.set_status, "Deleted"), (HelpDeskState.set_inquiry_type, ["x"]),
                              (HelpDeskState.set_provider, "NOPE"), (HelpDeskState.set_provider, "x" * 500)):
            await setter.fn(state, value)
            errors.append(state.error)
        return seen, errors, (feed.status, feed.inquiry_type, feed.provider), [int(r["id"]) for r in feed.rows]

    seen, errors, filters, rows = run_async(scenario())
    assert seen == {"billing": [ids["soon"]], "hd2": [ids["elsewhere"]], "closed": []}
    assert all(errors) and len(errors) == 4
    assert filters == ("", "", "HD2") and rows == [ids["elsewhere"]]  # a refused filter changes nothing


async def _feed_rows(session_id: int) -> list[str]:
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=desk_token(session_id), cls=HelpDeskFeed)) as root:
        return [f'{r["subject"]} ({r["status"]})' for r in (await root.get_state(HelpDeskFeed)).rows]


async def _open_desk(session_id: int) -> None:
    """What the Help Desk page's load leaves in the session's feed (the browser test links a real page)."""
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=desk_token(session_id), cls=HelpDeskFeed)) as root:
        (await root.get_state(HelpDeskFeed)).in_use = True


def _session_of(user: User) -> int:
    with session_scope() as s:
        start_session(s, s.get(User, user.id), second_factor=True)
        return s.exec(select(UserSession.id).where(UserSession.user_id == user.id)
                      .order_by(UserSession.id.desc())).first()


def test_a_new_pq_or_note_reaches_every_open_help_desk_and_no_provider(app_db, make):
    with session_scope() as s:
        org = make.org(s, "HDL", "Nome Care")
        desk_one = make.user(s, "desk.one", is_admin=True)
        desk_two = make.user(s, "desk.two", is_admin=True)
        provider = make.user(s, "prov.live")
        make.grant(s, provider, org, "Staff")
    sessions = {"one": _session_of(desk_one), "two": _session_of(desk_two), "provider": _session_of(provider)}

    async def settle():
        await settle_pushes()

    async def scenario():
        for name in ("one", "two", "provider"):  # even a provider's feed marked open gets nothing
            await _open_desk(sessions[name])
        with session_scope() as s:
            pq = make.pq(s, s.get(User, provider.id), s.get(Organization, "HDL"), subject="Brand new")
        await settle()
        after_pq = {name: await _feed_rows(sid) for name, sid in sessions.items()}
        with session_scope() as s:
            make.note(s, s.get(User, desk_one.id), s.get(PQ, pq.id), note_type="Response", status="In Progress")
        await settle()
        return after_pq, {name: await _feed_rows(sid) for name, sid in sessions.items()}

    after_pq, after_note = run_async(scenario())
    assert after_pq["one"] == after_pq["two"] == ["Brand new (Pending)"]
    assert after_note["one"] == after_note["two"] == ["Brand new (In Progress)"]
    assert after_pq["provider"] == after_note["provider"] == []


def test_an_ended_session_empties_its_help_desk_feed(app_db, make):
    with session_scope() as s:
        org = make.org(s, "HDE")
        desk = make.user(s, "desk.end", is_admin=True)
        make.pq(s, desk, org, subject="Visible")
    session_id = _session_of(desk)

    async def scenario():
        await _open_desk(session_id)
        await push_help_desk()
        before = await _feed_rows(session_id)
        await clear_feeds([session_id])
        return before, await _feed_rows(session_id)

    before, after = run_async(scenario())
    assert before == ["Visible (Pending)"] and after == []


def test_a_pq_turns_overdue_on_an_open_help_desk_at_its_due_time_with_nothing_else_changing(app_db, make):
    with session_scope() as s:
        org = make.org(s, "HDO")
        desk = make.user(s, "desk.clock", is_admin=True)
        pq = make.pq(s, desk, org, subject="Due now")
        s.get(PQ, pq.id).first_response_due_at = utc_now() + timedelta(seconds=3)
    session_id = _session_of(desk)

    async def flags() -> list[str]:
        app = RegistrationContext.get().app
        async with app.modify_state(BaseStateToken(ident=desk_token(session_id), cls=HelpDeskFeed)) as root:
            return [r["overdue"] for r in (await root.get_state(HelpDeskFeed)).rows]

    async def scenario():
        await _open_desk(session_id)
        await push_help_desk()  # as a page load or any change would: it arms the clock
        before = await flags()
        try:
            deadline = asyncio.get_running_loop().time() + 20  # due in 3 s, pushed a second after it
            while await flags() != ["yes"] and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.2)
            await settle_pushes()
            return before, await flags()
        finally:
            live_help_desk._arm_overdue_clock(None, replace=True)  # no timer outlives the test

    before, after = run_async(scenario())
    assert before == [""] and after == ["yes"]
