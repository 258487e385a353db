"""CSV files people open in a spreadsheet: every export goes through ``to_csv``.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(and skips a leading tab or carriage return before deciding); some read ``|`` (a DDE call)
and ``%`` as a start too, so those are neutralised as well, as defusedcsv does. Names and other text in
exports were typed by users, so a provider called ``=HYPERLINK(...)`` would otherwise
become a live link, or worse, on an official's desktop.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "|", "%", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as CSV text, neutralised with a leading ``'`` if it could start a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text, every cell passed through ``safe_cell`` (a streamed export sends one batch at a time)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The header and rows as CSV text, every cell passed through ``safe_cell``."""
    return csv_text(itertools.chain([header], rows))
