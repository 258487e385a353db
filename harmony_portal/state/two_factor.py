"""Two-factor enrolment: scan or type the key, confirm a code, save recovery codes."""

from __future__ import annotations

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.security import provisioning_uri, qr_data_uri
from harmony_portal.services.signin import sessions, two_factor
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.feedback import Feedback


class TwoFactorSetupState(Feedback, AuthState):
    step: str = "scan"  # scan | codes
    setup_key: str = ""
    qr_code: str = ""
    step_up_error: str = ""
    # Adding a further device: the current password or a code from a device they have.
    needs_step_up: bool = False
    recovery_codes: list[str] = []
    _device_id: int = 0

    @rx.event
    def load(self):
        """Start a new (unconfirmed) device for the signed-in user."""
        self.error = self.step_up_error = ""
        self.step = "scan"
        self.recovery_codes = []
        try:
            user = self._require_user(enrolling=True)
        except DomainError as exc:
            self.error = str(exc)
            return None
        with session_scope() as session:  # a page reload starts over (stale devices are dropped, audited)
            enrolment = two_factor.start_enrolment(session, user)
        self._device_id = enrolment.device_id
        self.needs_step_up = enrolment.needs_step_up
        self.setup_key = enrolment.secret
        self.qr_code = qr_data_uri(provisioning_uri(enrolment.secret, user.user_id))
        return None

    @rx.event
    async def confirm(self, form: dict):
        form = form_fields(form)
        self.error = self.step_up_error = ""
        name = str(form.get("device_name", "")).strip() or "Authenticator app"
        code, proof = str(form.get("security_code", "")), str(form.get("step_up", ""))
        device_id, ip = self._device_id, self.router.session.client_ip or ""

        def confirm_in_transaction(active):
            with session_scope() as session:
                codes = two_factor.confirm_device(session, active.user, device_id, code, step_up=proof, name=name,
                                                  ip=ip, session_id=active.record.id)
                # A valid code from the new device: this browser has now passed the second factor.
                sessions.record_second_factor(session, active.record)
                return codes

        try:
            active = self._require_session(enrolling=True)
            # The step-up may verify a password (argon2): keep it off the event loop.
            codes = await off_loop(confirm_in_transaction, active)
        except Invalid as exc:
            self.step_up_error = exc.errors.get("step_up", "")
            self.error = "" if self.step_up_error else str(exc)
            return None
        except DomainError as exc:
            self.error = str(exc)
            return None
        self.setup_key = ""
        self.qr_code = ""
        if codes:
            self.recovery_codes = codes
            self.step = "codes"
            return None
        return rx.redirect(routes.PROFILE)

    @rx.event
    def finish(self):
        self.recovery_codes = []
        self.step = "scan"
        return rx.redirect(routes.HOME)
