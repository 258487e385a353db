"""A session ended elsewhere signs its open pages out at once: disabling an account (or resetting its
two-factor sign-in) ends its sessions, and the last push to their open pages says so (``SessionFeed``);
the page shell then asks the server, which checks the session itself."""

from sqlmodel import select

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.layouts.shell import session_watch
from harmony_portal.live import tabs as live_tabs
from harmony_portal.live.session_end import SessionFeed
from harmony_portal.models import UserSession
from harmony_portal.services.security import token_digest
from harmony_portal.state.admin_users import AdminUsersState
from harmony_portal.state.base import AuthState
from harmony_portal.state.home import HomeState
from harmony_portal.state.page_open import PageOpenState
from tests.state.conftest import run_async, settle_pushes

_ENDED = SessionFeed.get_full_name()


def _session_id(token: str) -> int:
    with session_scope() as s:
        return s.exec(select(UserSession.id).where(UserSession.token_hash == token_digest(token))).one()


def _told_ended(monkeypatch) -> list[int]:
    """The sessions whose tabs a push tells ``ended`` (the push itself runs as usual)."""
    told: list[int] = []
    real = live_tabs.push

    async def recording(groups, **kwargs):
        told.extend(sid for ids, delta in groups if delta.get(_ENDED) for sid in ids)
        return await real(groups, **kwargs)

    monkeypatch.setattr(live_tabs, "push", recording)
    return told


def _people(make):
    with session_scope() as s:
        admin = make.user(s, "desk.end", is_admin=True)
        make.enrol(s, admin)
        victim = make.user(s, "vic.open", first_name="Vic")
        make.enrol(s, victim)
        bystander = make.user(s, "by.stander")
        make.enrol(s, bystander)
        make.grant(s, victim, make.org(s, "END1"), "Staff")
    return admin, victim, bystander


def _script(spec) -> str:
    return {name._js_expr: value._var_value for name, value in spec.args}["javascript_code"]


def test_disabling_an_account_signs_out_its_open_pages_at_once(app_db, make, signed_in, monkeypatch):
    admin, victim, bystander = _people(make)
    victim_of, bystander_of = signed_in(victim), signed_in(bystander)
    victim_session, bystander_session = _session_id(victim_of.token), _session_id(bystander_of.token)
    told = _told_ended(monkeypatch)

    async def scenario():
        opening = await victim_of(PageOpenState)  # an open Home page of the victim
        await PageOpenState.open_page.fn(opening, routes.HOME)
        auth, tab = await opening.get_state(AuthState), await opening.get_state(HomeState)
        shown = auth.signed_in, len(tab.my_roles)
        following = opening.router.session.client_token in live_tabs.followers(victim_session)
        other = await bystander_of(PageOpenState)
        await PageOpenState.open_page.fn(other, routes.HOME)

        desk = await signed_in(admin)(AdminUsersState)
        AdminUsersState.disable.fn(desk, str(victim.id))
        await settle_pushes()

        # The page shell saw ``ended`` and asks; the server agrees and signs the page out.
        signed_out = await AuthState.session_ended.fn(auth)
        # A forged ask from a live session changes nothing.
        forged = await AuthState.session_ended.fn(await other.get_state(AuthState))
        return shown, following, signed_out, (auth.signed_in, list(tab.my_roles)), (forged, other.signed_in)

    shown, following, signed_out, after, forged = run_async(scenario())
    assert shown == (True, 1) and following  # the page follows its session's pushes
    assert told == [victim_session]  # only the disabled account's session was told it ended
    assert bystander_session not in told
    assert victim_session not in live_tabs._tabs  # and its tabs follow nothing any more
    assert routes.sign_out_url("ended") in _script(signed_out)
    assert after == (False, [])  # signed out, the page's data dropped
    assert forged == (None, True)


def test_the_page_shell_asks_the_server_when_its_session_ends():
    """The notice mounts only when the feed says ended, and mounting it sends AuthState.session_ended."""
    watch = session_watch()
    rendered = str(watch.render())
    hooks = " ".join(watch._get_all_hooks())
    assert "session_feed.ended" in rendered and "Signing you out" in rendered
    assert "session_ended" in hooks and "useEffect" in hooks
