"""/help: help-box hours, contacts, training and the browser notice."""

import reflex as rx

from harmony_portal.layouts import page
from harmony_portal.vocabulary import CARE_COORDINATION_EMAIL, HELP_BOX_HOURS, HELP_DESK_EMAIL


def _section(title: str, *content: rx.Component) -> rx.Component:
    return rx.el.section(rx.el.h2(title), *content, class_name="card")


def help_page() -> rx.Component:
    return page(
        rx.el.h1("Help"),
        _section(
            "Harmony Help Desk",
            rx.el.p("Send Harmony database requests and inquiries to ",
                    rx.el.a(HELP_DESK_EMAIL, href=f"mailto:{HELP_DESK_EMAIL}"), "."),
            rx.el.p(f"The Harmony Help Box is monitored {HELP_BOX_HOURS}. Access requests are answered "
                    "within 24 business hours."),
            rx.el.p("Send care coordination issues to ",
                    rx.el.a(CARE_COORDINATION_EMAIL, href=f"mailto:{CARE_COORDINATION_EMAIL}"), "."),
        ),
        _section(
            "Weekly maintenance",
            rx.el.p("Harmony and Centralized Reporting undergo weekly maintenance between 2:00pm and 8:00pm "
                    "every Sunday (Alaska time). Any unsaved work during this time will not be recoverable."),
        ),
        _section(
            "Training",
            rx.el.p("All staff take the Introduction to Harmony training before using the system. "
                    "Sign up for the frequent training sessions on the SDS Training page."),
        ),
        _section(
            "Browser",
            rx.el.p("Google Chrome is the only recommended browser for Harmony. There are known issues "
                    "when Harmony is used in other browsers."),
        ),
        _section(
            "Two-factor sign-in",
            rx.el.p("Signing in needs your password and a 6-digit security code from an authenticator app "
                    "on your phone. Lost your phone? Use one of your recovery codes, or ask the help desk "
                    "to reset your two-factor devices."),
        ),
    )
