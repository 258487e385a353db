"""A session ended elsewhere signs its open pages out at once: disabling an account (or resetting its
two-factor sign-in) sets the session's live feed, which every open page of it links to; the page
shell then asks the server, which checks the session itself."""

from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext
from sqlmodel import select

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.layouts.shell import session_watch
from harmony_portal.live import SessionFeed, session_feed_token
from harmony_portal.models import UserSession
from harmony_portal.services.security import token_digest
from harmony_portal.state.admin_users import AdminUsersState
from harmony_portal.state.base import AuthState
from harmony_portal.state.home import HomeState
from tests.state.conftest import run_async, settle_pushes


def _session_id(token: str) -> int:
    with session_scope() as s:
        return s.exec(select(UserSession.id).where(UserSession.token_hash == token_digest(token))).one()


async def _ended(session_id: int) -> bool:
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=session_feed_token(session_id), cls=SessionFeed)) as root:
        return (await root.get_state(SessionFeed)).ended


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


def test_disabling_an_account_signs_out_its_open_pages_at_once(app_db, make, signed_in, linked_tokens):
    admin, victim, bystander = _people(make)
    victim_of, bystander_of = signed_in(victim), signed_in(bystander)
    victim_session, bystander_session = _session_id(victim_of.token), _session_id(bystander_of.token)

    async def scenario():
        tab = await victim_of(HomeState)  # an open Home page of the victim
        auth = await tab.get_state(AuthState)
        await AuthState.require_login.fn(auth)
        HomeState.load.fn(tab)
        shown = auth.signed_in, len(tab.my_roles)
        other = await bystander_of(AuthState)
        await AuthState.require_login.fn(other)

        desk = await signed_in(admin)(AdminUsersState)
        AdminUsersState.disable.fn(desk, str(victim.id))
        await settle_pushes()
        feeds = await _ended(victim_session), await _ended(bystander_session)

        # The page shell saw ``ended`` and asks; the server agrees and signs the page out.
        signed_out = await AuthState.session_ended.fn(auth)
        # A forged ask from a live session changes nothing.
        forged = await AuthState.session_ended.fn(other)
        return shown, feeds, signed_out, (auth.signed_in, list(tab.my_roles)), (forged, other.signed_in)

    shown, feeds, signed_out, after, forged = run_async(scenario())
    assert shown == (True, 1)
    assert session_feed_token(victim_session) in linked_tokens  # the page linked its session's feed
    assert feeds == (True, False)  # only the disabled account's session heard it
    assert routes.sign_out_url("ended") in _script(signed_out)
    assert after == (False, [])  # signed out, the page's data dropped
    assert forged == (None, True)


def test_the_session_feed_token_is_not_guessable():
    assert session_feed_token(1) != session_feed_token(2)
    assert session_feed_token(1).startswith("sess") and len(session_feed_token(1)) == 4 + 64
    assert "_" not in session_feed_token(1)


def test_the_page_shell_asks_the_server_when_its_session_ends():
    """The notice mounts only when the feed says ended, and mounting it sends AuthState.session_ended."""
    watch = session_watch()
    rendered = str(watch.render())
    hooks = " ".join(watch._get_all_hooks())
    assert "session_feed.ended" in rendered and "Signing you out" in rendered
    assert "session_ended" in hooks and "useEffect" in hooks
