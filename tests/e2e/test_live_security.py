"""The live queue's security, tried the way an attacker would: raw websocket clients, no browser.

A client picks its own token on /_event and shared states live under the same
kind of key as client states, so a guessable feed token would hand anybody an
official's queue. These tests connect to the real server as hostile clients.
"""

from __future__ import annotations

import hashlib
import urllib.request
import uuid

import pytest
from simple_websocket.errors import ConnectionError as HandshakeRefused
from sqlmodel import select

from benchmarks.socket_dashboard import PAGE, ReflexSocket, SocketDashboard
from harmony_portal.live.help_desk import desk_token
from harmony_portal.models import OrgRole, User, UserSession
from harmony_portal.services.signin.sessions import start_session
from harmony_portal.vocabulary import SECURITY_OFFICIAL
from tests.e2e.helpers import make_account

ROLE_REQUEST_SUBMIT = ("reflex___state____state.harmony_portal___state___base____auth_state."
                       "harmony_portal___state___role_request____role_request_state.submit")


def _official_session(portal) -> tuple[User, str, int]:
    """The demo official of organization 123, signed in with both factors: (user, token, session id)."""
    with portal.session() as s:
        official = s.exec(select(User).where(User.user_id_key == "so.constant")).one()
        token = start_session(s, official, second_factor=True)
        s.commit()
        session_id = s.exec(select(UserSession.id).where(UserSession.user_id == official.id)
                            .order_by(UserSession.id.desc())).first()
    return official, token, session_id


def _refused(base_url: str, **kwargs) -> bool:
    try:
        ReflexSocket(base_url, **kwargs).close()
    except HandshakeRefused:
        return True
    return False


def test_guessed_feed_tokens_are_refused_and_an_anonymous_tab_gets_no_row(portal):
    official, token, session_id = _official_session(portal)
    dashboard = SocketDashboard(portal.url, token)  # the official's own page: the queue is there
    try:
        assert dashboard.wait_ready()
        assert dashboard.wait_for('"Cameron"') is not None
        guesses = [f"officials{official.id}", f"officials{session_id}", f"feed{session_id}",
                   "feed" + hashlib.sha256(str(session_id).encode()).hexdigest(),
                   "feed" + hashlib.sha256(f"queue-feed:{session_id}".encode()).hexdigest(),
                   desk_token(session_id)]  # even a real shared token: it is not a client token
        for guess in guesses:
            assert _refused(portal.url, token=guess), guess
        # A well-formed client token with no session sees the page's shell, never a row.
        anonymous = ReflexSocket(portal.url)
        try:
            anonymous.open_page(PAGE)
            assert anonymous.wait_for("signed_in", 10) is not None
            assert anonymous.wait_for('"Cameron"', 2) is None
        finally:
            anonymous.close()
    finally:
        dashboard.close()


def test_the_handshake_from_another_origin_is_refused(portal):
    assert _refused(portal.url, origin="https://evil.example")
    assert not _refused(portal.url)  # the portal's own origin is fine
    polling = f"{portal.url}/_event/?EIO=4&transport=polling&token={uuid.uuid4()}"
    request = urllib.request.Request(polling, headers={"Origin": "https://evil.example"})  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert refused.value.code in (400, 403)


def test_a_signed_out_session_stops_receiving_the_queue(portal):
    official, token, _session_id = _official_session(portal)
    requester, _secret = make_account(portal, "asker", first="Asker", last="Afterwards")
    with portal.session() as s:
        requester_token = start_session(s, s.get(User, requester.id), second_factor=True)
        s.commit()
    dashboard = SocketDashboard(portal.url, token)
    try:
        assert dashboard.wait_ready()
        assert dashboard.wait_for('"Cameron"') is not None
        # Signing out through the cookie route (as another tab of this browser would).
        signout = urllib.request.Request(portal.url + "/auth/signout",  # noqa: S310 - the local test server
                                         headers={"Cookie": f"harmony_session={token}"})
        with urllib.request.urlopen(signout, timeout=10) as response:  # noqa: S310 - the local test server
            assert response.status == 200
        assert dashboard.wait_for('"rows_rx_state_":[]', 10) is not None, "the ended session's feed was not emptied"
        assert dashboard.wait_for('"ended_rx_state_":true', 5) is not None, "the page was not told its session ended"
        # A new request afterwards never reaches the signed-out tab.
        asker = ReflexSocket(portal.url, session_token=requester_token)
        try:
            asker.open_page("/roles/request/")
            asker.send(ROLE_REQUEST_SUBMIT, {"form": {"organization": "123", "role": "Staff",
                                                      "justification": "Covering night shifts"}},
                       "/roles/request/")
            assert asker.wait_for("redirect", 15) is not None
        finally:
            asker.close()
        with portal.session() as s:
            officials = s.exec(select(OrgRole.user_id).where(OrgRole.organization_id == "123",
                                                             OrgRole.role == SECURITY_OFFICIAL)).all()
        assert official.id in officials
        assert dashboard.wait_for('"Afterwards"', 3) is None
    finally:
        dashboard.close()
