"""What a client sent as an event's arguments, made safe to use.

A websocket client can send any JSON as an event's arguments: a list where a form dict belongs,
null or a float where an id belongs. Handlers pass what they are given through these first.
"""

from __future__ import annotations

import re

_MAX_ID = 2**31 - 1  # the largest id a table holds (PostgreSQL integer); bigger is nobody's


def as_text(value: object) -> str:
    """``value`` as text; None and False become "" (so a checkbox keeps its truthiness)."""
    if isinstance(value, str):
        return value
    return "" if value is None or value is False else str(value)


def form_fields(form: object) -> dict[str, str]:
    """A submitted form as text fields; anything that is not a dict is an empty form."""
    if not isinstance(form, dict):
        return {}
    return {as_text(key): as_text(value) for key, value in form.items()}


def form_values(form: object, names) -> dict[str, str]:
    """The named fields of a submitted form, each as text ("" when missing): what the form keeps
    when a save is refused."""
    fields = form_fields(form)
    return {name: fields.get(name, "") for name in names}


_CLIENT_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def client_key_of(form: object, fallback: str) -> str:
    """The key the form opened with, as sent back (restored by keep_typing.js after a reconnect), else ``fallback``."""
    sent = form_fields(form).get("client_key", "")
    return sent if _CLIENT_KEY.fullmatch(sent) else fallback


def parse_id(value: object) -> int | None:
    """A row id from an event argument ("12" or 12), or None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)  # isascii: "²".isdigit() is true, but int("²") fails
    else:
        return None
    return number if 0 < number <= _MAX_ID else None


def page_number(value: object, page_count: int) -> int:
    """A page from a pager event: 1..page_count; anything odd (null, "abc", NaN) is the first page."""
    try:
        page = int(value)
    except (TypeError, ValueError, OverflowError):
        page = 1
    return max(1, min(page, page_count))
