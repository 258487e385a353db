"""Part of /pq/[pq_id] for an Access Request: the form signed in the portal (PQSigningState).

The filer names who signs and signs first (or sends it to the person the access is for); each
signer signs in turn after a security code, or declines; the requester or the help desk may
withdraw or resend. The status and the signature check follow live on every open page of the PQ.
"""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.dialog import confirm_form, dialog, dismiss_button
from harmony_portal.components.forms import checkbox_field, submit_button, text_field
from harmony_portal.components.links import file_link
from harmony_portal.pages.passkeys import passkey_step_up
from harmony_portal.services.pq.access_form_pdf import ACKNOWLEDGEMENTS
from harmony_portal.state.pq_signing import ACK_FIELDS, PQSigningState

__all__ = ["signing_section"]

S = PQSigningState


def _acknowledgements(hint: str) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Acknowledgements of the requester"),
        rx.el.p(hint, class_name="hint"),
        *[checkbox_field(text, name) for name, text in zip(ACK_FIELDS, ACKNOWLEDGEMENTS, strict=True)],
        rx.cond(S.sign_errors.contains("acknowledgements"),
                rx.el.p(S.sign_errors["acknowledgements"], class_name="field-error")),
    )


def _start_form() -> rx.Component:
    errors = S.sign_errors
    return rx.el.form(
        rx.el.h3("Start the form"),
        text_field("Access for", "access_for", required=True, error=errors.get("access_for", ""),
                   default_value=rx.cond(S.sign_values.contains("access_for"), S.sign_values["access_for"],
                                         S.signing["prefill_access_for"]),
                   hint="User ID or email of the person the access is for: you, or someone at the organization."),
        text_field("Direct supervisor", "supervisor", required=True, error=errors.get("supervisor", ""),
                   default_value=rx.cond(S.sign_values.contains("supervisor"), S.sign_values["supervisor"],
                                         S.signing["prefill_supervisor"]),
                   hint="User ID or email of the requester's direct supervisor at the organization."),
        text_field("Agency authorized signer", "agency_signer", required=True,
                   error=errors.get("agency_signer", ""),
                   default_value=rx.cond(S.sign_values.contains("agency_signer"), S.sign_values["agency_signer"],
                                         S.signing["prefill_agency_signer"]),
                   hint="User ID or email of the organization's Security Official or Access Coordinator."),
        _acknowledgements("Tick each one when the access is for you: you sign first. When it is for someone "
                          "else, they tick them when they sign."),
        rx.el.div(submit_button("Sign the form"), class_name="actions"),
        key=S.sign_form_key, on_submit=S.open_sign,
        custom_attrs={"data-keep-typing": "signing-" + S.pq["id"].to(str)},  # assets/keep_typing.js
    )


def _my_turn() -> rx.Component:
    return rx.el.form(
        rx.el.h3("Your signature"),
        rx.el.p("Read the form first: the signature covers it exactly as it is now."),
        rx.cond(S.signing["my_role"] == "requester", _acknowledgements("You sign to accept them.")),
        rx.el.div(submit_button("Sign the form"),
                  rx.el.button("Decline", type="button", class_name="btn", on_click=S.open_decline),
                  class_name="actions"),
        on_submit=S.open_sign,
    )


def _status() -> rx.Component:
    return rx.el.div(
        rx.el.p("Signatures: ", S.signing["signed"], " of 3, ", S.signing["status_text"], role="status"),
        rx.el.ul(rx.foreach(S.signers, lambda s: rx.el.li(s["role"], ": ", s["name"], ", ", s["state"])),
                 aria_label="Signers"),
        rx.cond(S.signing["validation"] != "", rx.el.p("Signature check: ", S.signing["validation"])),
        rx.cond(S.signing["ended"] != "", rx.el.p(S.signing["ended"], class_name="lede")),
        rx.el.div(
            rx.cond(S.signing["file"] != "", file_link(
                rx.cond(S.signing["status"] == "signed", "Download the signed form", "Read the form to sign"),
                href="/pq/attachments/" + S.signing["file"].to(str))),
            file_link("Download the signing record", href=routes.signing_record_url(S.signing["form"].to(str))),
            class_name="actions"),
    )


def _manage() -> rx.Component:
    return rx.el.div(
        rx.el.button("Resend", type="button", class_name="btn", on_click=S.resend),
        rx.el.button("Withdraw", type="button", class_name="btn", on_click=S.open_withdraw),
        class_name="actions",
    )


def _dialogs() -> rx.Component:
    return rx.fragment(
        dialog(S.sign_open, "Confirm it is you", "sign-dialog", rx.el.form(
            rx.el.p("Enter a security code from your authenticator app to sign, or use a passkey."),
            text_field("Security code", "security_code", required=True,
                       autocomplete="one-time-code", error=S.sign_errors.get("security_code", ""),
                       input_mode="numeric"),
            passkey_step_up(),
            rx.el.div(submit_button("Verify"), dismiss_button("Cancel", S.close_sign), class_name="actions"),
            on_submit=S.verify)),
        dialog(S.decline_open, "Decline to sign", "decline-dialog", confirm_form(
            S.decline, "Decline", S.close_reason,
            text_field("Decline reason", "decline_reason", required=True, multiline=True, error=S.reason_error))),
        dialog(S.withdraw_open, "Withdraw the form", "withdraw-dialog", confirm_form(
            S.withdraw, "Withdraw", S.close_reason,
            text_field("Withdraw reason", "withdraw_reason", required=True, multiline=True, error=S.reason_error))),
    )


def signing_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Sign the Access Request"),
        rx.cond(S.signing["form"] != "0", _status(),
                rx.el.p("The form is signed here, in the portal: the requester, their direct supervisor and the "
                        "agency's authorized signer, in that order. No printing or scanning.")),
        rx.cond(S.signing["may_start"] == "yes", _start_form()),
        rx.cond(S.signing["my_turn"] == "yes", _my_turn()),
        rx.cond(S.signing["may_manage"] == "yes", _manage()),
        _dialogs(),
        class_name="card", aria_label="Sign the Access Request",
    )
