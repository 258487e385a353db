"""A passkey as the step-up: "Use a passkey" beside "Current Password or Security Code" in a dialog.

The passkey's answer is checked on the server and marks this session's next sensitive change
(within two minutes) as confirmed; the change itself then needs no password or code
(``step_up.take_passkey_step_up``). Nothing the page sends can mark it.
"""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.errors import DomainError
from harmony_portal.services.passkeys import assertion
from harmony_portal.services.signin.sessions import ActiveSession
from harmony_portal.state.base import AuthState
from harmony_portal.state.passkey_ceremony import PasskeyCeremony, ask_browser


def _begin(active: ActiveSession, ip: str) -> tuple[int, str]:
    with session_scope() as session:
        return assertion.begin_step_up(session, active, ip=ip)


def _finish(active: ActiveSession, challenge_id: int, answer: object, ip: str) -> None:
    with session_scope() as session:
        assertion.finish_step_up(session, active, challenge_id, answer, ip=ip)


class PasskeyStepUpState(PasskeyCeremony, AuthState):
    confirmed: bool = False
    step_up_message: str = ""
    step_up_error: str = ""

    @rx.event
    def forget(self):
        """A dialog closed or its change went through: the next one asks again."""
        self.confirmed, self.step_up_message, self.step_up_error = False, "", ""

    @rx.event
    async def start(self):
        self.confirmed, self.step_up_message, self.step_up_error = False, "", ""
        try:
            active = self._require_session(adding_passkey=True)
            self._challenge_id, options = await off_loop(_begin, active, self.router.session.client_ip or "")
        except DomainError as exc:
            self.step_up_error = str(exc)
            return None
        return ask_browser("get", options, PasskeyStepUpState.finish)

    @rx.event
    async def finish(self, answer: str):
        if refused := await self._answer(_finish, answer):
            self.step_up_error = refused
            return
        self.confirmed = True
        self.step_up_message = "Confirmed with your passkey. Now finish the change (within 2 minutes)."
