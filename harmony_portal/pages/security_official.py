"""/security-official: the Security Official's landing page (HARP's navigation item)."""

import reflex as rx

from harmony_portal import routes
from harmony_portal.layouts import official_page


def security_official_page() -> rx.Component:
    return official_page(
        "Security Official",
        rx.el.p("Approve or reject role requests for the organizations you represent, look users up, "
                "and remove roles that are no longer needed."),
        rx.el.p(rx.el.a("Review Role Requests", href=routes.ROLE_REQUESTS)),
        rx.el.p(rx.el.a("Look up users", href=routes.USER_LOOKUP)),
    )
