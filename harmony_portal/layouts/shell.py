"""The page shell: skip link, header and navigation, banners, one <main>, footer."""

from __future__ import annotations

import reflex as rx

from harmony_portal import routes
from harmony_portal.components.dialog import dialog, dismiss_button
from harmony_portal.components.sidebar import security_official_layout
from harmony_portal.live.notifications import NotificationFeed
from harmony_portal.live.session_end import SessionFeed
from harmony_portal.state.base import AuthState
from harmony_portal.state.shell import ShellState
from harmony_portal.vocabulary import CARE_COORDINATION_EMAIL, HELP_BOX_HOURS, HELP_DESK_EMAIL


def _nav_link(text: str, href: str) -> rx.Component:
    return rx.el.li(rx.el.a(text, href=href))


def _notifications_link() -> rx.Component:
    """The unread count, live (NotificationFeed): the badge is for the eye, the link's name says it in words."""
    unread = NotificationFeed.unread
    return rx.el.li(rx.el.a(
        "Notifications",
        rx.cond(unread > 0, rx.el.span(unread.to(str), aria_hidden="true", class_name="count-badge")),
        href=routes.NOTIFICATIONS,
        aria_label=rx.cond(unread > 0, "Notifications, " + unread.to(str) + " unread", "Notifications"),
    ))


def navigation() -> rx.Component:
    signed_in = rx.fragment(
        _nav_link("Home", routes.HOME),
        _nav_link("PQ chapter", routes.PQ_LIST),
        # The badge sits beside the link so the link's name stays "Security Official".
        rx.cond(AuthState.is_security_official | AuthState.is_admin, rx.el.li(
            rx.el.a("Security Official", href=routes.SECURITY_OFFICIAL),
            rx.cond(AuthState.pending_count > 0, rx.el.span(
                AuthState.pending_count.to(str),
                rx.el.span(rx.cond(AuthState.pending_count == 1, " pending request", " pending requests"),
                           class_name="visually-hidden"),
                class_name="count-badge")),
        )),
        _notifications_link(),
        rx.cond(AuthState.is_admin, _nav_link("Help Desk", routes.HELP_DESK)),
        rx.cond(AuthState.is_admin, _nav_link("Administration", routes.ADMIN)),
        _nav_link("User Profile", routes.PROFILE),
        _nav_link("Help", routes.HELP),
        rx.el.li(rx.el.button("Logout", type="button", class_name="nav-button", on_click=AuthState.logout)),
    )
    signed_out = rx.fragment(
        _nav_link("Login", routes.LOGIN),
        _nav_link("Sign Up", routes.SIGNUP),
        _nav_link("Help", routes.HELP),
    )
    return rx.el.nav(rx.el.ul(rx.cond(AuthState.signed_in, signed_in, signed_out)),
                     aria_label="Main", class_name="site-nav")


def maintenance_banner() -> rx.Component:
    """role=status before a window (a countdown from 30 minutes before), role=alert during it (ui-contract).

    The clock in ``live/banner`` pushes every change; the countdown ticks in the browser.
    """
    phase = ShellState.banner_phase
    in_progress = rx.el.div(
        ShellState.banner_text, " ",
        rx.el.a("Need to make a report of harm during maintenance? Read the instructions.",
                href=routes.REPORT_OF_HARM),
        role="alert", class_name="banner banner-alert")
    countdown = rx.el.span(" Starts ", rx.moment(date=ShellState.banner_starts, from_now=True, interval=1000),
                           ". Saving is refused during maintenance; what you type stays on the page "
                           "to save afterwards.")
    upcoming = rx.el.div(ShellState.banner_text, rx.cond(phase == "countdown", countdown),
                         role="status", class_name="banner banner-status")
    return rx.fragment(
        rx.cond(phase == "in_progress", in_progress, rx.cond(phase != "", upcoming)),
        rx.cond(ShellState.save_warning & AuthState.signed_in, rx.el.div(
            "Maintenance starts in less than 5 minutes. If you have a form open, save it now: "
            "during maintenance saving is refused (what you typed stays on the page to save afterwards).",
            role="alert", class_name="banner banner-alert")),
    )


def announcements() -> rx.Component:
    """Announcements in force for this user; closing one closes it on every device."""
    def one(n) -> rx.Component:
        return rx.el.div(
            rx.el.p(rx.el.strong(n["title"]), " ", n["body"]),
            rx.el.button("Close", type="button", class_name="btn", aria_label="Close announcement: " + n["title"],
                         on_click=ShellState.close_notice(n["id"])),
            class_name="announcement announcement-" + n["level"])
    return rx.cond(ShellState.my_notices.length() > 0, rx.el.section(
        rx.foreach(ShellState.my_notices, one), aria_label="Announcements", aria_live="polite",
        class_name="announcements"))


def browser_notice() -> rx.Component:
    return rx.cond(
        ShellState.show_browser_notice,
        rx.el.p("Google Chrome is the recommended browser for Harmony. Other browsers have known issues.",
                class_name="browser-notice"),
    )


def idle_warning() -> rx.Component:
    """The HIPAA automatic-logoff warning, two minutes before it happens."""
    return rx.fragment(
        rx.cond(
            AuthState.signed_in,
            rx.moment(interval=AuthState.idle_check_ms, on_change=AuthState.check_idle,
                      display="none", aria_hidden="true"),
        ),
        dialog(AuthState.idle_warning, "Are you still there?", "idle",
               rx.el.p("For your security you will be signed out in 2 minutes because of inactivity. "
                       "What you typed in a PQ or a note is kept as a draft; other changes you have not "
                       "saved are not kept."),
               dismiss_button("Stay signed in", AuthState.stay_signed_in, class_name="btn btn-primary",
                              auto_focus=True),
               role="alertdialog"),
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.el.div(
            rx.el.div(
                rx.el.h2("Harmony Help Desk"),
                rx.el.p(rx.el.a(HELP_DESK_EMAIL, href=f"mailto:{HELP_DESK_EMAIL}")),
                rx.el.p(f"Help box monitored {HELP_BOX_HOURS}."),
            ),
            rx.el.div(
                rx.el.h2("Care Coordination"),
                rx.el.p(rx.el.a(CARE_COORDINATION_EMAIL, href=f"mailto:{CARE_COORDINATION_EMAIL}")),
            ),
            rx.el.div(
                rx.el.h2("Maintenance"),
                rx.el.p("Weekly maintenance on Sundays, 2:00pm to 8:00pm Alaska time: saving is refused then, "
                        "and what you type stays on the page to save afterwards."),
                rx.el.p(rx.el.a("Report of harm during maintenance", href=routes.REPORT_OF_HARM)),
                rx.el.p(rx.el.a("Help", href=routes.HELP), " · ", rx.el.a("Terms & Conditions", href=routes.TERMS)),
            ),
            class_name="footer-grid",
        ),
        class_name="site-footer",
    )


def _shell(*children: rx.Component) -> rx.Component:
    return rx.fragment(
        rx.el.a("Skip to main content", href="#main", class_name="skip-link"),
        rx.el.header(
            rx.el.a("Harmony Portal", href=routes.HOME, class_name="brand"),
            navigation(),
            class_name="site-header",
        ),
        maintenance_banner(),
        announcements(),
        browser_notice(),
        rx.el.main(*children, id="main", tab_index=-1),
        footer(),
        idle_warning(),
    )


def page(*children: rx.Component) -> rx.Component:
    """A public page."""
    return _shell(*children)


def session_watch() -> rx.Component:
    """Signs the page out once its session has ended elsewhere.

    The session feed's ``ended`` arrives from the server the moment the session ends (the
    account disabled, say); this notice then mounts and its on_mount asks the server, which
    checks the session itself before signing the page out.
    """
    return rx.cond(
        SessionFeed.ended,
        rx.el.p("Your session has ended. Signing you out…", role="status", on_mount=AuthState.session_ended),
    )


def protected_page(*children: rx.Component) -> rx.Component:
    """A page for signed-in users: nothing renders until the session is confirmed, nor after it ended."""
    return _shell(session_watch(),
                  rx.cond(AuthState.signed_in & ~SessionFeed.ended, rx.fragment(*children),
                          rx.cond(SessionFeed.ended, rx.fragment(),
                                  # A heading while it checks: the page is never without its h1.
                                  rx.el.div(rx.el.h1("Checking your sign-in…"), role="status"))))


def card_page(title: str, *children: rx.Component) -> rx.Component:
    """A page open to everyone whose text is one card (Terms & Conditions, Report of harm)."""
    return page(rx.el.h1(title), rx.el.div(*children, class_name="card"))


def official_page(title: str, *children: rx.Component) -> rx.Component:
    """A Security Official page: its heading, then the section's sidebar beside the content."""
    return protected_page(rx.el.h1(title), security_official_layout(*children))
