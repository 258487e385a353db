"""What a page says after an action: one line for what was done, one for what was refused."""

import reflex as rx

__all__ = ["Feedback"]


class Feedback(rx.State, mixin=True):
    """Mixed into page states (each gets its own pair, not one shared by every page).

    ``message`` is shown as a success notice, ``error`` as an alert (``components.message``).
    """

    message: str = ""
    error: str = ""
