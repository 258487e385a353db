"""The job sheet's "File" menu: the same actions as the buttons beside it, in an accessible menu button."""

import reflex as rx

from harmony_portal import routes


def file_menu(*, save_form_id: str | None = None) -> rx.Component:
    """A menu button "File" with "Add PQ" (and "Save PQ" when a PQ form is on the page)."""
    items = [rx.menu.item("Add PQ", on_select=rx.redirect(routes.PQ_NEW))]
    if save_form_id:
        items.append(rx.menu.item("Save PQ", on_select=rx.call_script(
            f"document.getElementById({save_form_id!r}).requestSubmit()")))
    return rx.menu.root(
        rx.menu.trigger(rx.el.button("File", type="button", class_name="btn", aria_haspopup="menu")),
        rx.menu.content(*items),
    )
