"""The fields of a form on the page, as an event argument (drafts are saved from it)."""

import reflex as rx


def form_values(form_id: str) -> rx.Var:
    """``{name: value}`` of the form with ``form_id``, read in the browser when the event fires."""
    return rx.Var(f"Object.fromEntries(new FormData(document.getElementById({form_id!r})).entries())").to(dict)
