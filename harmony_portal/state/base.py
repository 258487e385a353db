"""The base of every signed-in state: who is asking, checked on the server each time.

The session token is never in the state: it is an HttpOnly cookie that the
websocket handshake carried (``router.headers.cookie`` stays on the server).
Every event resolves it again, so a session ended anywhere (another tab, the
help desk, a password change) stops working here at once.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from sqlmodel import Session

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events import off_loop
from harmony_portal.events import reads as event_reads
from harmony_portal.live import queues as live_queues
from harmony_portal.live.notifications import unlink_notifications
from harmony_portal.live.session_end import unlink_feed
from harmony_portal.models import User
from harmony_portal.server import log_context, session_cookie
from harmony_portal.services.accounts import identity
from harmony_portal.services.errors import DomainError, Invalid, NotAllowed
from harmony_portal.services.passkeys import policy as passkey_policy
from harmony_portal.services.signin import devices, enrolment_codes
from harmony_portal.services.signin.sessions import (
    IDLE_WARNING,
    ActiveSession,
    end_session,
    resolve_session,
    why_gone,
)
from harmony_portal.settings import get_settings
from harmony_portal.state.event_args import parse_id


def resolve_in_event(session: Session, token: str, *, touch: bool = True) -> ActiveSession | None:
    """``resolve_session``, answered from this event's earlier look-up when there was one (``events/reads``)."""
    return event_reads.read(("session", token), resolve_session, session, token, touch=touch)


@live_queues.counts_pending
class AuthState(rx.State):
    """Who is signed in, for the page shell; every handler re-resolves the session."""

    signed_in: bool = False
    display_name: str = ""
    is_admin: bool = False
    is_security_official: bool = False
    idle_warning: bool = False
    pending_count: int = 0  # requests waiting for this Security Official (navigation badge)
    has_passkey: bool = False  # step-up dialogs offer "Use a passkey"

    def _session_token(self) -> str:
        return session_cookie.session_token_from(self.router.headers.cookie)

    def _active(self, *, touch: bool = True) -> ActiveSession | None:
        with session_scope() as session:
            active = resolve_in_event(session, self._session_token(), touch=touch)
        log_context.bind_user(active.user.id if active else None)  # this event's log lines name the user
        return active

    def _require_session(self, *, enrolling: bool = False, adding_passkey: bool = False) -> ActiveSession:
        """The signed-in session, or NotAllowed. Handlers call this before anything else.

        A session that has not passed the second factor (opened with the password
        alone, while the account had no authenticator) may only enrol one
        (``enrolling``), and only while the account still has none: a forged event
        can't use it for anything else, and enrolling elsewhere doesn't promote it. After a
        help-desk reset, only the session the enrolment code opened may enrol. Someone the passkey
        policy holds may only add a passkey (``adding_passkey``).
        """
        with session_scope() as session:  # one transaction per event to learn who is asking
            active = resolve_in_event(session, self._session_token())
            may_enrol = (active is not None and not active.second_factor and enrolling
                         and not devices.has_confirmed_device(session, active.user.id)
                         and enrolment_codes.session_may_enrol(session, active.user.id, active.record.id))
            held = (active is not None and not adding_passkey
                    and event_reads.read(("passkey_held", active.user.id), passkey_policy.is_held, session,
                                         active.user))
        log_context.bind_user(active.user.id if active else None)  # this event's log lines name the user
        if active is None:
            self._clear_identity()
            raise NotAllowed("Your session has ended. Sign in again.")
        if held:
            raise NotAllowed(passkey_policy.HELD)
        if active.second_factor or may_enrol:
            return active
        raise NotAllowed("Sign in again with your security code to continue.")

    def _require_user(self, *, enrolling: bool = False, adding_passkey: bool = False) -> User:
        return self._require_session(enrolling=enrolling, adding_passkey=adding_passkey).user

    def _attempt(self, action: Callable[[Session, User], object]) -> DomainError | None:
        """Run ``action(session, user)`` in one transaction for the signed-in user.

        Returns the refusal (for the page to show) or None when it was done.
        """
        try:
            user = self._require_user()
            with session_scope() as session:
                action(session, user)
        except DomainError as exc:
            return exc
        return None

    @staticmethod
    def _form_refusal(exc: DomainError, invalid: str) -> tuple[dict[str, str], str]:
        """A refused form's (errors by field, sentence above the form): ``invalid`` when fields
        were refused, else the refusal itself."""
        return (exc.errors, invalid) if isinstance(exc, Invalid) else ({}, str(exc))

    @staticmethod
    def _refused(step: Callable[[], object]) -> DomainError | None:
        """Run ``step``; its refusal (for the page to show), or None when it went through."""
        try:
            step()
        except DomainError as exc:
            return exc
        return None

    def _attempt_on(self, raw_id: object, missing: str,
                    action: Callable[[Session, User, int], object]) -> DomainError | None:
        """``_attempt`` for the row a client named: an id that can't be one is refused with ``missing``."""
        if (target := parse_id(raw_id)) is None:
            return DomainError(missing)
        return self._attempt(lambda session, user: action(session, user, target))

    def _set_identity(self, who: identity.Identity) -> None:
        self.signed_in = True
        self.display_name = who.display_name
        self.is_admin = who.is_admin
        self.is_security_official = who.is_security_official
        self.pending_count = who.pending_count
        self.has_passkey = who.has_passkey
        self.idle_warning = False

    def _clear_identity(self) -> None:
        self.signed_in = False
        self.display_name = ""
        self.is_admin = False
        self.is_security_official = False
        self.pending_count = 0
        self.has_passkey = False
        self.idle_warning = False

    async def _forget_tab(self) -> None:
        """Signed out: drop everything this tab holds (page data, the live feed link)."""
        await unlink_feed(self)
        await unlink_notifications(self)
        pending = list(AuthState.get_substates())
        while pending:
            cls = pending.pop()
            pending.extend(cls.get_substates())
            (await self.get_state(cls)).reset()
        self._clear_identity()

    def _current_path(self) -> str:
        url = self.router.url
        path = url.path.rstrip("/") or "/"  # the static build serves /profile as /profile/
        return path + (f"?{url.query}" if url.query else "")

    def _load_page(self, url: str):
        """A full page load (not client-side navigation): the next handshake carries the new cookie."""
        return rx.call_script(session_cookie.load_page_script(url))

    async def _session_gone(self):
        """This tab's session is gone. On a page open to everyone (the sign-in page, say) the tab just
        forgets it, quietly: nothing typed there is touched. Elsewhere the page signs out and the
        sign-in page says the true reason."""
        if self.router.url.path.rstrip("/") in routes.PUBLIC_ROUTES:
            await self._forget_signed_in()
            return None
        with session_scope() as session:
            reason = why_gone(session, self._session_token())
        return await self._signed_out(reason)

    async def _forget_signed_in(self) -> None:
        """Stop being signed in on this tab (feeds unlinked, identity cleared), its page data kept."""
        await unlink_feed(self)
        await unlink_notifications(self)
        self._clear_identity()

    async def _signed_out(self, reason: str):
        await self._forget_tab()
        return self._load_page(routes.sign_out_url(reason))

    @staticmethod
    def _who_is_opening(token: str) -> tuple[ActiveSession | None, bool, identity.Identity | None]:
        with session_scope() as session:
            return AuthState._opening_in(session, token)

    @staticmethod
    def _opening_in(session: Session, token: str) -> tuple[ActiveSession | None, bool, identity.Identity | None]:
        """What the sign-in check of a page open needs: the session, whether the account has an
        authenticator, and who it is (name, roles, count of requests waiting)."""
        active = resolve_in_event(session, token)
        if active is None:
            return None, False, None
        who = identity.describe(session, active.user)
        event_reads.read(("passkey_held", active.user.id), lambda: who.passkey_held)  # the page's handlers ask again
        return active, devices.has_confirmed_device(session, active.user.id), who

    @rx.event
    async def require_login(self):
        """on_load of every protected page: signed in, with the second factor passed."""
        token = self._session_token()
        active, has_device, who = await off_loop.read_off_loop(("opening", token), self._who_is_opening, token)
        if active is None:
            await self._forget_tab()
            return rx.redirect(routes.login_url(self._current_path()))
        if not active.second_factor:
            if has_device:  # an authenticator was enrolled elsewhere: this browser must prove it
                return await self._signed_out("signed-out")
            if not self._current_path().startswith(routes.TWO_FACTOR_SETUP):
                return rx.redirect(routes.TWO_FACTOR_SETUP)
        self._set_identity(who)
        if who.passkey_held and not self._current_path().startswith(routes.PASSKEY_REQUIRED):
            return rx.redirect(routes.PASSKEY_REQUIRED)
        return None

    @rx.event
    async def session_ended(self):
        """The page heard that its session ended: sign out if the server agrees (a forged call does nothing)."""
        if self.signed_in and self._active(touch=False) is None:
            return await self._signed_out("ended")
        return None

    @rx.event
    async def check_idle(self, _tick: str = ""):
        """Periodic check from an open page; does not count as activity."""
        if not self.signed_in:
            return None
        active = self._active(touch=False)
        if active is None:
            return await self._session_gone()
        self.idle_warning = active.idle_seconds_left <= IDLE_WARNING.total_seconds()
        return None

    @rx.event
    async def stay_signed_in(self):
        """The idle warning's button: counts as activity."""
        if self._active() is None:
            return await self._session_gone()
        self.idle_warning = False
        return None

    @rx.event
    async def logout(self):
        """Revoke the session in the database first, then clear the cookie on a full page load."""
        with session_scope() as session:
            end_session(session, self._session_token())
        return await self._signed_out("signed-out")

    @rx.var
    def idle_check_ms(self) -> int:
        return get_settings().harmony_idle_check_seconds * 1000
