"""Home's Notifications section: the session's live feed, newest first, and "Mark all as read"."""

import reflex as rx

from harmony_portal.components import message
from harmony_portal.live.notifications import NotificationFeed
from harmony_portal.state.notifications import NotificationsState

__all__ = ["notifications_section"]


def _notification(n) -> rx.Component:
    unread = n["unread"] != ""
    return rx.el.li(
        rx.el.div(
            rx.cond(n["link"] != "", rx.el.a(n["title"], href=n["link"]), rx.el.strong(n["title"])),
            rx.cond(unread, rx.el.span(" New", class_name="status-pill")),
        ),
        rx.cond(n["body"] != "", rx.el.p(n["body"])),
        rx.el.p(n["at"], rx.cond(n["category"] != "", rx.fragment(" · ", n["category"])), class_name="field-hint"),
        class_name=rx.cond(unread, "notification notification-unread", "notification"),
    )


def notifications_section() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Notifications"),
        message(NotificationsState.error),
        rx.cond(
            NotificationFeed.rows.length() > 0,
            rx.fragment(
                rx.el.p(rx.cond(NotificationFeed.unread > 0, NotificationFeed.unread.to(str) + " unread",
                                "All read"), class_name="field-hint"),
                rx.el.ul(rx.foreach(NotificationFeed.rows, _notification), class_name="notification-list"),
                rx.el.div(
                    rx.el.button("Mark all as read", type="button", class_name="btn",
                                 disabled=NotificationFeed.unread == 0, on_click=NotificationsState.mark_all_read),
                    class_name="actions",
                ),
            ),
            rx.el.p("You have no notifications."),
        ),
        id="notifications",
        class_name="card",
    )
