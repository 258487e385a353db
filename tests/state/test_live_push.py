"""The live push itself: which sessions are sent which rows after a change commits."""

from reflex_base.constants.state import FIELD_MARKER
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live.notifications import NotificationFeed, notification_groups
from harmony_portal.live.queues import QueueFeed, queue_groups
from harmony_portal.models import Organization, User, UserSession
from harmony_portal.services.roles import decisions
from harmony_portal.services.signin.sessions import end_session, start_session
from harmony_portal.state.base import AuthState

_ROWS = QueueFeed.get_full_name()


def _session_of(user: User) -> tuple[int, str]:
    with session_scope() as s:
        token = start_session(s, user, second_factor=True)
        return s.exec(select(UserSession.id).where(UserSession.user_id == user.id)
                      .order_by(UserSession.id.desc())).first(), token


def _sent(groups) -> dict[int, list[str]]:
    """{session id: the names in the rows it is sent}."""
    sent = {}
    for session_ids, delta in groups:
        rows = next(iter(delta[_ROWS].values()))
        for sid in session_ids:
            sent[sid] = [f'{r["first_name"]} {r["last_name"]}' for r in rows]
    return sent


def test_a_new_request_reaches_each_deciding_official_and_only_them(app_db, make):
    with session_scope() as s:
        a, b = make.org(s, "LA"), make.org(s, "LB")
        so_a1, so_a2, so_b = make.user(s, "so.a1"), make.user(s, "so.a2"), make.user(s, "so.b")
        for official, org in ((so_a1, a), (so_a2, a), (so_b, b)):
            make.grant(s, official, org)
        requester = make.user(s, "asker.live", first_name="Ada", last_name="Live")
    sessions = {u.user_id: _session_of(u)[0] for u in (so_a1, so_a2, so_b)}
    ended, ended_token = _session_of(so_a1)
    with session_scope() as s:
        end_session(s, ended_token)
        make.request(s, s.get(User, requester.id), s.get(Organization, "LA"))

    sent = _sent(queue_groups({"LA"}))
    assert sent == {sessions["so.a1"]: ["Ada Live"], sessions["so.a2"]: ["Ada Live"]}
    assert ended not in sent and sessions["so.b"] not in sent  # an ended session and another organization's official
    # Both officials see the same rows: one group, encoded once for both.
    assert len(queue_groups({"LA"})) == 1
    # The navigation badge's count travels in the same delta as the rows, so they never disagree.
    (_ids, delta), = queue_groups({"LA"})
    assert delta[AuthState.get_full_name()] == {"pending_count" + FIELD_MARKER: 1}


def test_when_an_organization_gets_its_first_official_the_help_desk_stops_seeing_its_queue(app_db, make):
    """Until then the help desk decides its requests; after, every administrator is sent a queue without them."""
    with session_scope() as s:
        org = make.org(s, "NEW1")
        desk_one, desk_two = make.user(s, "desk.one", is_admin=True), make.user(s, "desk.two", is_admin=True)
        waiting = make.user(s, "waiting.one", first_name="Wren", last_name="Waiting")
        make.request(s, waiting, org)
        candidate = make.user(s, "first.so", first_name="Finn", last_name="First")
        first_request = make.request(s, candidate, org, "Security Official")
    desks = {"desk.one": _session_of(desk_one)[0], "desk.two": _session_of(desk_two)[0]}

    before = _sent(queue_groups({"NEW1"}))
    with session_scope() as s:
        assert decisions.approve_requests(s, s.get(User, desk_one.id), [first_request.id]).decided
    after = _sent(queue_groups({"NEW1"}, {candidate.id}))
    assert sorted(before[desks["desk.two"]]) == ["Finn First", "Wren Waiting"]
    assert after[desks["desk.one"]] == [] and after[desks["desk.two"]] == []


def test_notifications_are_sent_to_each_live_session_of_the_user_told(app_db, make):
    with session_scope() as s:
        org = make.org(s, "NT1")
        officials = [make.user(s, f"so.nt{i}") for i in range(3)]
        for o in officials:
            make.grant(s, o, org)
        asker = make.user(s, "asker.nt")
    sessions = [_session_of(o)[0] for o in officials]
    with session_scope() as s:
        make.request(s, s.get(User, asker.id), s.get(Organization, "NT1"))  # tells each official

    counts, lists = notification_groups([o.id for o in officials])
    # Every page shows the count: one group, encoded once, for all three (each has one unread).
    assert len(counts) == 1 and sorted(counts[0][0]) == sorted(sessions)
    assert counts[0][1] == {NotificationFeed.get_full_name(): {"unread_rx_state_": 1}}
    # Home lists them: each session is sent its own user's rows (sent only to tabs on Home).
    by_session = {sid: delta[NotificationFeed.get_full_name()] for ids, delta in lists for sid in ids}
    assert sorted(by_session) == sorted(sessions)
    for values in by_session.values():
        unread, rows = values.values()
        assert unread == 1 and len(rows) == 1 and "request" in rows[0]["title"].lower()


def test_when_redis_comes_back_every_session_followed_here_gets_its_feeds_again(app_db, make, monkeypatch):
    """Pushes published while this worker's subscription was down never arrive: it re-reads the queue,
    the badge and the notifications of every session its tabs follow, and of no other."""
    from harmony_portal.live import dispatch, tabs
    from tests.state.conftest import run_async

    with session_scope() as s:
        org = make.org(s, "RB1")
        here, elsewhere = make.user(s, "so.here"), make.user(s, "so.elsewhere")
        for official in (here, elsewhere):
            make.grant(s, official, org)
        make.request(s, make.user(s, "asker.rb", first_name="Rue", last_name="Back"), org)
    followed, _ = _session_of(here)
    _session_of(elsewhere)  # live, but no tab of this worker shows it
    tabs.follow(followed, "tab-here")
    sent: list = []

    async def capture(groups, **_kwargs):
        sent.extend(groups)
        return 0

    monkeypatch.setattr(tabs, "send", capture)
    try:
        run_async(dispatch.reread_this_workers_feeds())
    finally:
        tabs.unfollow("tab-here")
    told = {sid for ids, _delta in sent for sid in ids}
    assert told == {followed}
    queue = next(delta[_ROWS] for _ids, delta in sent if _ROWS in delta)
    assert [r["first_name"] for r in next(iter(queue.values()))] == ["Rue"]
    assert any(NotificationFeed.get_full_name() in delta for _ids, delta in sent)
