"""/two-factor/setup: enrol an authenticator app."""

import reflex as rx

from harmony_portal.components import message, submit_button, text_field
from harmony_portal.layouts import protected_page
from harmony_portal.pages.passkeys import passkey_step_up
from harmony_portal.state.two_factor import TwoFactorSetupState


def _scan() -> rx.Component:
    return rx.el.div(
        rx.el.p(
            "Open an authenticator app on your phone (for example Google Authenticator, Microsoft "
            "Authenticator or FreeOTP), add an account, and scan this QR code. If you can't scan it, "
            "type the setup key instead."
        ),
        rx.cond(
            TwoFactorSetupState.qr_code != "",
            rx.el.img(
                src=TwoFactorSetupState.qr_code, alt="QR code for your authenticator app", width="220", height="220"
            ),
        ),
        rx.el.form(
            text_field(
                "Setup key",
                "setup_key",
                value=TwoFactorSetupState.setup_key,
                hint="Type this into your app if you can't scan the code. Time-based, 6 digits.",
            ),
            text_field(
                "Device name",
                "device_name",
                default_value="Authenticator app",
                hint="So you can tell your devices apart later.",
            ),
            text_field(
                "Security code",
                "security_code",
                required=True,
                autocomplete="one-time-code",
                input_mode="numeric",
                hint="The 6-digit code your app shows now.",
            ),
            # Only when adding a further device (absent from the DOM otherwise).
            rx.cond(
                TwoFactorSetupState.needs_step_up,
                rx.fragment(
                    text_field(
                        "Current Password or Security Code",
                        "step_up",
                        type="password",
                        required=True,
                        error=TwoFactorSetupState.step_up_error,
                        autocomplete="current-password",
                        hint="To confirm it is you: your password, or the 6-digit code a device you already have "
                        "shows now (not the new one). Or use a passkey.",
                    ),
                    passkey_step_up(),
                ),
            ),
            message(TwoFactorSetupState.error),
            rx.el.div(submit_button("Verify"), class_name="actions"),
            on_submit=TwoFactorSetupState.confirm,
        ),
    )


def _codes() -> rx.Component:
    return rx.el.div(
        rx.el.div("Your authenticator is set up.", role="status", class_name="message message-ok"),
        rx.el.h2("Your recovery codes"),
        rx.el.p(
            "If you lose your phone, each of these codes lets you sign in once. Save them somewhere "
            "safe (print them or keep them in a password manager). They are shown only now."
        ),
        rx.el.ul(
            rx.foreach(TwoFactorSetupState.recovery_codes, lambda c: rx.el.li(c)),
            class_name="codes",
            aria_label="Recovery codes",
        ),
        rx.el.div(
            rx.el.button(
                "I saved my recovery codes",
                type="button",
                class_name="btn btn-primary",
                on_click=TwoFactorSetupState.finish,
            ),
            class_name="actions",
        ),
    )


def two_factor_setup_page() -> rx.Component:
    return protected_page(
        rx.el.h1("Set up two-factor sign-in"),
        rx.el.div(rx.cond(TwoFactorSetupState.step == "codes", _codes(), _scan()), class_name="card"),
    )
