"""The live unread count: after a commit, every live session of the person told gets it, nobody else."""

from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live_notifications import NotificationFeed, notification_token
from harmony_portal.models import User, UserSession
from harmony_portal.services import decisions, notifications
from harmony_portal.services.sessions import end_session, start_session
from tests.state.conftest import run_async, settle_pushes


async def _feed(session_id: int) -> tuple[int, list[str]]:
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=notification_token(session_id), cls=NotificationFeed)) as root:
        feed = await root.get_state(NotificationFeed)
        return feed.unread, [r["title"] for r in feed.rows]


def _open_session(user: User) -> tuple[int, str]:
    with session_scope() as s:
        token = start_session(s, user, second_factor=True)
        session_id = s.exec(select(UserSession.id).where(UserSession.user_id == user.id)
                            .order_by(UserSession.id.desc())).first()
    return session_id, token


def test_a_decision_reaches_the_requesters_open_sessions_and_reading_clears_them(app_db, make):
    with session_scope() as s:
        org = make.org(s, "LN1")
        official = make.user(s, "so.live")
        make.grant(s, official, org)
        pam = make.user(s, "pam.live")
        bystander = make.user(s, "by.stander")
        request = make.request(s, pam, org)
    laptop, _ = _open_session(pam)
    phone, phone_token = _open_session(pam)
    other, _ = _open_session(bystander)

    async def scenario():
        with session_scope() as s:  # the decision commits; the push follows
            decisions.approve_requests(s, s.get(User, official.id), [request.id])
        await settle_pushes()
        told = {name: await _feed(sid) for name, sid in (("laptop", laptop), ("phone", phone), ("other", other))}
        with session_scope() as s:  # read on one device: every device's badge goes to zero
            notifications.mark_all_read(s, s.get(User, pam.id))
        await settle_pushes()
        read = await _feed(laptop), await _feed(phone)
        with session_scope() as s:  # signing out empties that session's feed at once
            end_session(s, phone_token)
        await settle_pushes()
        return told, read, await _feed(phone)

    told, read, signed_out = run_async(scenario())
    assert told["laptop"] == told["phone"] == (1, ["Your role request was approved"])
    assert told["other"] == (0, [])
    assert read == ((0, ["Your role request was approved"]),) * 2
    assert signed_out == (0, [])
