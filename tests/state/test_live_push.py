"""The live push itself: who gets which rows after a change commits (feeds read from the state manager)."""


from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live import QueueFeed, feed_token, push_queue_changed
from harmony_portal.models import Organization, User, UserSession
from harmony_portal.services import decisions
from harmony_portal.services.sessions import start_session
from tests.state.conftest import run_async, settle_pushes


async def _rows(session_id: int) -> list[str]:
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=feed_token(session_id), cls=QueueFeed)) as root:
        return [f'{r["first_name"]} {r["last_name"]}' for r in (await root.get_state(QueueFeed)).rows]


def _session_of(user: User) -> int:
    with session_scope() as s:
        start_session(s, user, second_factor=True)
        return s.exec(select(UserSession.id).where(UserSession.user_id == user.id)
                      .order_by(UserSession.id.desc())).first()


async def _settle() -> None:
    await settle_pushes()


def test_a_new_request_reaches_each_deciding_official_and_only_them(app_db, make):
    with session_scope() as s:
        a, b = make.org(s, "LA"), make.org(s, "LB")
        so_a1, so_a2, so_b = make.user(s, "so.a1"), make.user(s, "so.a2"), make.user(s, "so.b")
        for official, org in ((so_a1, a), (so_a2, a), (so_b, b)):
            make.grant(s, official, org)
        requester = make.user(s, "asker.live", first_name="Ada", last_name="Live")
    sessions = {u.user_id: _session_of(u) for u in (so_a1, so_a2, so_b)}

    async def scenario():
        with session_scope() as s:  # filing it schedules the push, after the commit
            make.request(s, s.get(User, requester.id), s.get(Organization, "LA"))
        await _settle()
        return {name: await _rows(sid) for name, sid in sessions.items()}

    rows = run_async(scenario())
    assert rows["so.a1"] == rows["so.a2"] == ["Ada Live"]
    assert rows["so.b"] == []


def test_when_an_organization_gets_its_first_official_the_help_desk_stops_seeing_its_queue(app_db, make):
    """Until then the help desk decides its requests; after, every administrator's feed drops them."""
    with session_scope() as s:
        org = make.org(s, "NEW1")
        desk_one, desk_two = make.user(s, "desk.one", is_admin=True), make.user(s, "desk.two", is_admin=True)
        waiting = make.user(s, "waiting.one", first_name="Wren", last_name="Waiting")
        make.request(s, waiting, org)
        candidate = make.user(s, "first.so", first_name="Finn", last_name="First")
        first_request = make.request(s, candidate, org, "Security Official")
    desks = {"desk.one": _session_of(desk_one), "desk.two": _session_of(desk_two)}

    async def scenario():
        await push_queue_changed({"NEW1"})
        before = {name: await _rows(sid) for name, sid in desks.items()}
        with session_scope() as s:  # desk one approves the first Security Official; the push follows the commit
            decisions.approve_requests(s, s.get(User, desk_one.id), [first_request.id])
        await _settle()
        return before, {name: await _rows(sid) for name, sid in desks.items()}

    before, after = run_async(scenario())
    assert sorted(before["desk.two"]) == ["Finn First", "Wren Waiting"]
    assert after == {"desk.one": [], "desk.two": []}
