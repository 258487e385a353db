"""Opening a page is one event: the sign-in check, the shell and the page's loaders, the session looked up once."""

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.live import banner as live_banner
from harmony_portal.live.notifications import NotificationFeed
from harmony_portal.live.queues import QueueFeed
from harmony_portal.services.signin import sessions
from harmony_portal.state import base
from harmony_portal.state.page_open import PageOpenState
from harmony_portal.state.role_requests import RoleRequestsState
from tests.state.conftest import run_async, state_with_cookie


def _counting_resolutions(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = sessions.resolve_session

    def counted(session, token, **kwargs):
        seen.append(token)
        return real(session, token, **kwargs)

    monkeypatch.setattr(base, "resolve_session", counted)
    return seen


def _official(make):
    with session_scope() as s:
        org = make.org(s, "PO1")
        official = make.user(s, "so.open", first_name="Olga")
        make.grant(s, official, org)
        make.enrol(s, official)
        make.request(s, make.user(s, "asker.open", first_name="Asker"), org)
    return official


def test_the_dashboard_opens_in_one_event_with_one_look_up_of_the_session(app_db, make, signed_in, monkeypatch):
    state_of = signed_in(_official(make), path="/security-official/requests")
    looked_up = _counting_resolutions(monkeypatch)

    async def scenario():
        page = await state_of(PageOpenState)
        answer = await PageOpenState.open_page.fn(page, routes.ROLE_REQUESTS)
        queue = await page.get_state(QueueFeed)
        badge = await page.get_state(NotificationFeed)
        dashboard = await page.get_state(RoleRequestsState)
        return answer, page.signed_in, page.display_name, [r["first_name"] for r in queue.rows], badge.unread, \
            dashboard.selection_epoch

    answer, signed_in_now, name, queue, unread, epoch = run_async(scenario())
    assert answer is None and signed_in_now and "Olga" in name
    assert queue == ["Asker"] and unread == 1 and epoch == 1  # every loader of the page ran
    assert len(looked_up) == 1  # four loaders asked who this is; the database was asked once


def test_a_signed_out_tab_is_sent_to_sign_in_and_no_page_loader_runs(app_db, make, monkeypatch):
    _official(make)

    async def scenario():
        page = await state_with_cookie(PageOpenState, "", "/security-official/requests")
        answer = await PageOpenState.open_page.fn(page, routes.ROLE_REQUESTS)
        return answer, (await page.get_state(RoleRequestsState)).selection_epoch, page.signed_in

    answer, epoch, signed_in_now = run_async(scenario())
    assert "login" in str(answer) and epoch == 0 and not signed_in_now


def test_a_forged_page_name_runs_nothing(app_db):
    async def scenario():
        page = await state_with_cookie(PageOpenState, "")
        return await PageOpenState.open_page.fn(page, "/no/such/page"), await PageOpenState.open_page.fn(page, None)

    assert run_async(scenario()) == (None, None)


def test_a_pq_page_opens_in_three_transactions_whatever_the_pq_holds(app_db, make, signed_in, monkeypatch):
    """Who asks with their notification count, the PQ with its notes, files and history, and
    the onboarding part: one transaction each (each costs the database three round trips)."""
    from sqlalchemy import event

    from harmony_portal.state.pq_detail import PQDetailState

    with session_scope() as s:
        org = make.org(s, "PO2")
        provider = make.user(s, "pq.open", first_name="Pat")
        make.grant(s, provider, org, "Staff")
        make.enrol(s, provider)
        pq = make.pq(s, provider, org)
        for n in range(3):
            make.note(s, provider, pq, f"Note {n}.")
    state_of = signed_in(provider, path=f"/pq/{pq.id}")
    # In the server each worker's clock holds the banner; pages never read it.
    monkeypatch.setattr(live_banner, "_showing", live_banner.read_showing())
    began: list[object] = []

    def count(connection):
        began.append(connection)

    event.listen(app_db, "begin", count)
    try:
        async def scenario():
            page = await state_of(PageOpenState)
            answer = await PageOpenState.open_page.fn(page, routes.PQ_DETAIL)
            return answer, (await page.get_state(PQDetailState)).notes

        answer, notes = run_async(scenario())
    finally:
        event.remove(app_db, "begin", count)
    assert answer is None and [n["text"] for n in notes] == ["Note 0.", "Note 1.", "Note 2."]
    assert len(began) == 3
