"""Links to files the server sends (attachments, forms, records)."""

import reflex as rx


def file_link(*children, href) -> rx.Component:
    """A link the browser follows itself, so the file downloads: Reflex renders every link as a
    React Router link, which would look for a page of the app at that path and download nothing."""
    return rx.el.a(*children, href=href, reload_document=True)
