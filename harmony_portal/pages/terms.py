"""/terms: the Terms & Conditions people agree to at sign-up and login."""

import reflex as rx

from harmony_portal.layouts import card_page


def terms_page() -> rx.Component:
    return card_page(
        "Terms & Conditions",
        rx.el.p("This portal is for authorized users of Harmony and of the programs it serves. "
                "By signing in you agree to the following."),
        rx.el.ul(
            rx.el.li("You use only your own account and never share your password, security codes "
                     "or recovery codes."),
            rx.el.li("You access Protected Health Information (PHI) only as your job requires, and handle "
                     "it under HIPAA rules, on screen and on paper."),
            rx.el.li("Your activity is logged and may be reviewed. Misuse may end your access and may "
                     "be reported."),
            rx.el.li("You tell your Security Official or the Harmony Help Desk at once if you suspect "
                     "someone else has used your account."),
        ),
    )
