"""The signing part of an Access Request PQ's page: start the form, sign in turn after a security
code, decline, withdraw, resend.

A substate of PQDetailState: the PQ's page holds the form's state (``signing``, ``signers``: read
with the PQ, so every open page of it follows live); this adds the handlers and what is being
typed. Every handler asks ``services/signing``, which decides who may do what.
"""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import threaded
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.pq.access_form_pdf import ACKNOWLEDGEMENTS
from harmony_portal.services.signin.step_up import CODE_FIELD
from harmony_portal.services.signing import endings, flow
from harmony_portal.state.event_args import as_text, form_fields, parse_id
from harmony_portal.state.pq_detail import PQDetailState

__all__ = ["ACK_FIELDS", "PQSigningState"]

ACK_FIELDS = tuple(f"ack_{n}" for n in range(1, len(ACKNOWLEDGEMENTS) + 1))
_NAMED = ("access_for", "supervisor", "agency_signer")


class PQSigningState(PQDetailState):
    sign_open: bool = False  # the security-code dialog before a signature
    sign_values: dict[str, str] = {}  # the start form as typed: kept when refused
    sign_errors: dict[str, str] = {}
    sign_form_key: int = 0
    decline_open: bool = False
    withdraw_open: bool = False
    reason_error: str = ""

    def _ip(self) -> str:
        return self.router.session.client_ip or ""

    @rx.event
    def load_signing(self):
        """After PQDetailState.load: the signer whose turn it is opened the form (the signing record says when)."""
        self.sign_open = self.decline_open = self.withdraw_open = False
        self.sign_values, self.sign_errors = {}, {}
        pq_id = self._pq_id()
        if pq_id is None or self.signing.get("my_turn") != "yes":
            return
        try:
            with session_scope() as session:
                flow.note_opened(session, self._require_user(), pq_id)
        except DomainError:
            return  # the page already says what is wrong

    @rx.event
    def open_sign(self, form: dict):
        """"Sign the form": keep what the form says, then ask for a security code."""
        fields = form_fields(form)
        self.sign_values = {name: as_text(fields.get(name, ""))[:254] for name in _NAMED}
        self.sign_values["acknowledged"] = "yes" if all(fields.get(a) in ("on", True, "true") for a in ACK_FIELDS) \
            else ""
        self.sign_errors, self.error, self.message = {}, "", ""
        self.sign_open = True

    @rx.event
    def close_sign(self):
        self.sign_open, self.sign_errors = False, {}

    @rx.event
    @threaded
    def verify(self, form: dict):
        """Verify: the code, then the signature (starting the form first when none is being signed)."""
        code = as_text(form_fields(form).get(CODE_FIELD, ""))[:20]
        typed, ip = dict(self.sign_values), self._ip()
        form_id = parse_id(self.signing.get("form", "")) if self.signing.get("status") == "signing" else None
        acknowledged = typed.get("acknowledged") == "yes"
        active = self._active(touch=False)  # a passkey this session just used answers instead of the code
        session_id = active.record.id if active else None

        def act(session, user, pq_id):
            if form_id is None:
                flow.start(session, user, pq_id, access_for=typed.get("access_for", ""),
                           supervisor=typed.get("supervisor", ""), agency_signer=typed.get("agency_signer", ""),
                           code=code, acknowledged=acknowledged, ip=ip, session_id=session_id)
            else:
                flow.sign(session, user, form_id, code, acknowledged=acknowledged, ip=ip, session_id=session_id)

        try:
            user, page = self._change_pq(act)
        except Invalid as exc:
            self.sign_errors = exc.errors
            if CODE_FIELD not in exc.errors:  # the form's fields: back to the form, as typed
                self.sign_open = False
                self.error = "The form was not signed. " + " ".join(exc.errors.values())
                self.sign_form_key += 1
            return
        except DomainError as exc:
            self.sign_open, self.error = False, str(exc)
            return
        self.sign_open, self.sign_values, self.sign_errors = False, {}, {}
        self._show(user, page)
        signed = form_id is not None or self.signing.get("my_role") == "requester"
        self.message = ("You signed the form." if signed
                        else "The form was started: the person the access is for is asked to sign first.")

    def _end(self, action, success: str) -> None:
        try:
            user, page = self._change_pq(action)
        except Invalid as exc:
            self.reason_error = next(iter(exc.errors.values()), str(exc))
            return
        except DomainError as exc:
            self.decline_open = self.withdraw_open = False
            self.error = str(exc)
            return
        self.decline_open = self.withdraw_open = False
        self.reason_error, self.message = "", success
        self._show(user, page)

    def _form_id(self) -> int | None:
        return parse_id(self.signing.get("form", ""))

    @rx.event
    def open_decline(self):
        self.decline_open, self.reason_error = True, ""

    @rx.event
    def open_withdraw(self):
        self.withdraw_open, self.reason_error = True, ""

    @rx.event
    def close_reason(self):
        self.decline_open = self.withdraw_open = False

    @rx.event
    def decline(self, form: dict):
        reason, form_id = as_text(form_fields(form).get("decline_reason", "")), self._form_id()
        self._end(lambda s, u, _pq: endings.decline(s, u, form_id, reason),
                  "You declined to sign; everyone already asked is told.")

    @rx.event
    def withdraw(self, form: dict):
        reason, form_id = as_text(form_fields(form).get("withdraw_reason", "")), self._form_id()
        self._end(lambda s, u, _pq: endings.withdraw(s, u, form_id, reason),
                  "The form was withdrawn; everyone already asked is told.")

    @rx.event
    def resend(self):
        form_id, asked = self._form_id(), []
        self._end(lambda s, u, _pq: asked.append(endings.resend(s, u, form_id)), "Sent again.")
        if asked:
            self.message = f"{asked[0]} was asked again."
