"""The live unread count: after a commit, every live session of the person told is sent it, nobody else."""

from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live.notifications import NotificationFeed, notification_groups
from harmony_portal.models import User, UserSession
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.services.roles import decisions
from harmony_portal.services.signin.sessions import end_session, start_session


def _sent(user_ids) -> dict[int, tuple[int, list[str]]]:
    """{session id: (unread, titles)} of the push for ``user_ids``."""
    sent = {}
    for session_ids, delta in notification_groups(user_ids)[1]:
        unread, rows = delta[NotificationFeed.get_full_name()].values()
        for sid in session_ids:
            sent[sid] = unread, [r["title"] for r in rows]
    return sent


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
    _open_session(bystander)

    with session_scope() as s:
        decisions.approve_requests(s, s.get(User, official.id), [request.id])
    told = _sent([pam.id, bystander.id])
    with session_scope() as s:  # read on one device: every device's badge goes to zero
        notifications.mark_all_read(s, s.get(User, pam.id))
    read = _sent([pam.id])
    with session_scope() as s:  # signing out: that session is sent nothing more
        end_session(s, phone_token)
    after = _sent([pam.id])

    assert told[laptop] == told[phone] == (1, ["Your role request was approved"])
    assert len(told) == 3 and (0, []) in told.values()  # the bystander's session: nothing of Pam's
    assert read == {laptop: (0, ["Your role request was approved"]), phone: (0, ["Your role request was approved"])}
    assert list(after) == [laptop]
