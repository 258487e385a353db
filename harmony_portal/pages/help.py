"""/help: help-box hours and whether it is open now, contacts, training, browser, maintenance."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.table import data_table
from harmony_portal.layouts import page
from harmony_portal.state.help import HelpState
from harmony_portal.vocabulary import CARE_COORDINATION_EMAIL, HELP_BOX_HOURS, HELP_DESK_EMAIL, TRAINING_URL


def _section(title: str, *content: rx.Component) -> rx.Component:
    return rx.el.section(rx.el.h2(title), *content, class_name="card")


def _mail(address: str) -> rx.Component:
    return rx.el.a(address, href=f"mailto:{address}")


def _maintenance() -> rx.Component:
    return _section(
        "Maintenance schedule",
        rx.el.p("Weekly maintenance: ", HelpState.weekly_maintenance, ". Harmony and Centralized Reporting are "
                "down then. Saving is refused until it is over; what you typed stays on the page (PQs and notes "
                "also keep a draft) to save afterwards. A banner on every page "
                "warns a day ahead and counts down the last 30 minutes."),
        rx.el.p(rx.el.a("Report of harm during maintenance: what to do", href=routes.REPORT_OF_HARM)),
        rx.el.h3("Other maintenance windows"),
        data_table("Upcoming maintenance windows", ["When", "Status", "Reason"], HelpState.maintenance_windows,
                   lambda w: [w["when"], w["status"], w["reason"]], empty="No other maintenance is scheduled."),
    )


def help_page() -> rx.Component:
    return page(
        rx.el.h1("Help"),
        _section(
            "Help box hours",
            rx.el.p(f"The Harmony Help Box is monitored {HELP_BOX_HOURS} (Alaska time). Access requests are "
                    "answered within 24 business hours."),
            rx.el.p(rx.el.strong(HelpState.help_box_status), id="help-box-now"),
        ),
        _section(
            "Contacts",
            rx.el.dl(
                rx.el.div(rx.el.dt("Harmony Help Desk"),
                          rx.el.dd("Harmony database requests and inquiries: ", _mail(HELP_DESK_EMAIL))),
                rx.el.div(rx.el.dt("Care Coordination"),
                          rx.el.dd("Care coordination issues: ", _mail(CARE_COORDINATION_EMAIL))),
                class_name="details-list",
            ),
        ),
        _section(
            "Training",
            rx.el.p("All staff take the Introduction to Harmony training before using the system. "
                    "The SDS Training page lists the frequent training sessions."),
            rx.el.p(rx.el.a("Sign up for training on the SDS Training page", href=TRAINING_URL)),
        ),
        _section(
            "Browser",
            rx.el.p("Google Chrome is the only recommended browser for Harmony. There are known issues when "
                    "Harmony is used in other browsers."),
        ),
        _maintenance(),
        _section(
            "Two-factor sign-in",
            rx.el.p("Signing in needs your password and a 6-digit security code from an authenticator app "
                    "on your phone. Lost your phone? Use one of your recovery codes, or ask the Harmony Help Desk "
                    "to reset your two-factor sign-in: they give you a one-time enrolment code to enter after "
                    "your password, and then you set up your app again."),
        ),
    )
