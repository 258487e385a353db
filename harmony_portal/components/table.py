"""Tables, made once: each scrolls sideways inside its own labelled region, never the page.

At 320 CSS pixels (WCAG 2.1 AA 1.4.10) a wide table must not make the whole page
scroll. The region is focusable, so a keyboard user can scroll it too, and named,
so a screen reader says what it holds. The table keeps its real table semantics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx


def _header(h: str | rx.Component) -> rx.Component:
    return rx.el.th(h, scope="col")


def hidden_header(text: str) -> rx.Component:
    """A column header only screen readers need (e.g. a column of buttons)."""
    return rx.el.span(text, class_name="visually-hidden")


def data_table(label: str, headers: Sequence[str | rx.Component], rows,
               cells: Callable[[rx.Var], Sequence[rx.Component | rx.Var | str]], *,
               row: Callable[[rx.Var], rx.Component] | None = None, empty: str | None = None) -> rx.Component:
    """A table of ``rows`` (a list Var) named ``label``.

    ``cells(r)`` gives the cells of one row; or ``row(r)`` gives the whole ``tr``. With ``empty``,
    that sentence stands in for a table without rows.
    """
    body = row or (lambda r: rx.el.tr(*[rx.el.td(c) for c in cells(r)]))
    table = rx.el.div(
        rx.el.table(rx.el.thead(rx.el.tr(*[_header(h) for h in headers])), rx.el.tbody(rx.foreach(rows, body))),
        role="region", aria_label=label, tab_index=0, class_name="table-scroll",
    )
    return table if empty is None else rx.cond(rows.length() > 0, table, rx.el.p(empty))
