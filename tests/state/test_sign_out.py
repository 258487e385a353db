"""Signing out stops everything: the session, the tab's page data and its live feed."""

from harmony_portal.db import session_scope
from harmony_portal.live import tabs as live_tabs
from harmony_portal.live.queues import QueueFeed, link_feed
from harmony_portal.services.signin import sessions
from harmony_portal.state.base import AuthState
from harmony_portal.state.role_requests import RoleRequestsState
from harmony_portal.state.user_lookup import UserLookupState
from tests.state.conftest import run_async


def _official_with_a_request(make):
    with session_scope() as s:
        org = make.org(s, "SO1")
        official = make.user(s, "so.out")
        make.grant(s, official, org)
        make.enrol(s, official)
        make.request(s, make.user(s, "asker.out", first_name="Asker"), org)
    return official


def test_logout_ends_the_session_and_empties_the_tab(app_db, make, signed_in):
    official = _official_with_a_request(make)
    state_of = signed_in(official)

    async def scenario():
        page = await state_of(RoleRequestsState)
        with session_scope() as s:
            active = sessions.resolve_session(s, state_of.token)
        await link_feed(page, active.record.id, active.user)  # as the page's load does
        tab = page.router.session.client_token
        before = len((await page.get_state(QueueFeed)).rows), tab in live_tabs.followers(active.record.id)
        lookup = await page.get_state(UserLookupState)
        UserLookupState.load.fn(lookup)
        found_before = len(lookup.rows)
        await AuthState.logout.fn(await page.get_state(AuthState))
        feed = await page.get_state(QueueFeed)
        following = tab in live_tabs.followers(active.record.id)
        return before, found_before, following, list(feed.rows), list(lookup.rows), page.signed_in

    before, found_before, following, rows_after, lookup_after, signed_in_after = run_async(scenario())
    assert before == (1, True) and found_before >= 1
    assert not following and rows_after == [] and lookup_after == [] and not signed_in_after
    with session_scope() as s:
        assert sessions.resolve_session(s, state_of.token) is None
