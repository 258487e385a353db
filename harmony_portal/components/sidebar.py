"""The Security Official sidebar, as in HARP."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.vocabulary import HELP_DESK_EMAIL


def security_official_layout(*children: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.nav(
            rx.el.ul(
                rx.el.li(rx.el.a("User Lookup", href=routes.USER_LOOKUP)),
                rx.el.li(rx.el.a("Role Requests", href=routes.ROLE_REQUESTS)),
                rx.el.li(rx.el.a("Access Reviews", href=routes.ACCESS_REVIEWS)),
            ),
            rx.el.h2("Need Help?"),
            rx.el.p("Contact the Harmony Help Desk: ", rx.el.a(HELP_DESK_EMAIL, href=f"mailto:{HELP_DESK_EMAIL}")),
            aria_label="Security Official", class_name="sidebar",
        ),
        rx.el.div(*children),
        class_name="sidebar-layout",
    )


def sole_official_notices(names) -> rx.Component:
    """HARP's helpful hint, for each organization where the viewer is the only Security Official."""
    return rx.foreach(names, lambda name: rx.el.div(
        "You are the only Security Official of ", name, ". Consider asking another person in the "
        "organization to request the Security Official role, so someone is always available to "
        "approve requests.", role="status", class_name="message message-info"))
