"""/maintenance/report-of-harm: what to do about a report of harm while Harmony is down (public)."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.layouts import card_page
from harmony_portal.vocabulary import HELP_DESK_EMAIL


def report_of_harm_page() -> rx.Component:
    return card_page(
        "Report of harm during maintenance",
        rx.el.p("Harmony is down for maintenance every Sunday from 2:00 PM to 8:00 PM Alaska time, and "
                "sometimes at other announced times. A report of harm must never wait for Harmony."),
        rx.el.h2("While Harmony is down"),
        rx.el.ol(
            rx.el.li(rx.el.strong("If someone is in immediate danger, call 911.")),
            rx.el.li("Report harm to a vulnerable adult (abuse, neglect, self-neglect, exploitation) to "
                     "Adult Protective Services: 1-800-478-9996."),
            rx.el.li("Report harm to a child to the Office of Children's Services: 1-800-478-4444."),
            rx.el.li("Write down what you reported, to whom, and when (date and time), with the name of "
                     "the person who took the report."),
        ),
        rx.el.h2("When Harmony is back"),
        rx.el.ol(
            rx.el.li("Enter the critical incident report in Harmony as you normally would, with the time "
                     "you made the phone report."),
            rx.el.li("If you cannot enter it, file a PQ in the PQ chapter, or write to the Harmony Help "
                     "Desk at ", rx.el.a(HELP_DESK_EMAIL, href=f"mailto:{HELP_DESK_EMAIL}"), "."),
        ),
        rx.el.p(rx.el.a("Help, contacts and the maintenance schedule", href=routes.HELP)),
    )
