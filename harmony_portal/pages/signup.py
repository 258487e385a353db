"""/signup: a new HARP-style account."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components import (
    checkbox_field,
    message,
    select_field,
    submit_button,
    text_field,
)
from harmony_portal.layouts import page
from harmony_portal.state.signup import SignUpState
from harmony_portal.vocabulary import CHALLENGE_QUESTIONS


def _err(name: str):
    return SignUpState.errors.get(name, "")


def signup_page() -> rx.Component:
    f = text_field
    return page(
        rx.el.h1("Sign Up"),
        rx.el.p("All fields marked with an asterisk (*) are required.", class_name="lede"),
        message(SignUpState.error),
        rx.el.form(
            rx.el.fieldset(
                rx.el.legend("Profile Information"),
                rx.el.div(
                    f("First Name", "first_name", required=True, error=_err("first_name"), autocomplete="given-name"),
                    f("Middle Name", "middle_name", autocomplete="additional-name"),
                    f("Last Name", "last_name", required=True, error=_err("last_name"), autocomplete="family-name"),
                    f("Date of Birth", "date_of_birth", type="date", required=True, error=_err("date_of_birth"),
                      autocomplete="bday"),
                    f("Email Address", "email", type="email", required=True, error=_err("email"),
                      autocomplete="email", hint="A professional address that only you use."),
                    f("Phone Number", "phone", type="tel", error=_err("phone"), autocomplete="tel"),
                    f("Home Address Line 1", "address_line1", autocomplete="address-line1"),
                    f("Home Address Line 2", "address_line2", autocomplete="address-line2"),
                    f("City", "city", autocomplete="address-level2"),
                    f("State", "state", error=_err("state"), autocomplete="address-level1",
                      hint="Two letters for a US state, such as AK."),
                    f("ZIP Code", "zip_code", error=_err("zip_code"), autocomplete="postal-code"),
                    f("ZIP Code Extension", "zip_extension", error=_err("zip_extension")),
                    f("Country", "country", required=True, error=_err("country"), default_value="USA",
                      autocomplete="country-name"),
                    class_name="grid-2",
                ),
            ),
            rx.el.fieldset(
                rx.el.legend("Account"),
                rx.el.div(
                    f("User ID", "user_id", required=True, error=_err("user_id"), autocomplete="username",
                      hint="3-64 letters, digits, dots, dashes or underscores."),
                    rx.el.div(),
                    f("Password", "password", type="password", required=True, error=_err("password"),
                      autocomplete="new-password",
                      hint="At least 12 characters. A passphrase of several words works well."),
                    f("Confirm Password", "confirm_password", type="password", required=True,
                      error=_err("confirm_password"), autocomplete="new-password"),
                    select_field("Challenge Question", "challenge_question", list(CHALLENGE_QUESTIONS),
                                 required=True, error=_err("challenge_question")),
                    f("Challenge Answer", "challenge_answer", required=True, error=_err("challenge_answer"),
                      autocomplete="off"),
                    class_name="grid-2",
                ),
            ),
            checkbox_field("I agree to the Terms & Conditions", "agree_terms", error=_err("agree_terms")),
            rx.el.p(rx.el.a("Read the Terms & Conditions", href=routes.TERMS)),
            rx.el.div(submit_button("Sign Up"), rx.el.a("Already have an account? Login", href=routes.LOGIN),
                      class_name="actions"),
            on_submit=SignUpState.submit,
        ),
    )
