"""Cells and tables of the report page: escaped text, money, numbers, captioned tables."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = ["FORMATS", "esc", "money", "number", "percent", "period", "table_html"]


def esc(value: Any) -> str:
    """Escaped text of any value (None and NaN become a dash)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return html.escape(str(value), quote=True)


def money(value: Any) -> str:
    """``£1.23m`` style text (a dash for a blank)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    value = float(value)
    sign = "&minus;" if value < -0.5 else ""
    if abs(value) >= 1e6:
        return f"{sign}£{abs(value) / 1e6:,.2f}m"
    return f"{sign}£{abs(value):,.0f}"


def number(value: Any, digits: int = 0) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{float(value):,.{digits}f}"


def percent(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{100 * float(value):.1f}%"


def period(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{int(value)}"


FORMATS: dict[str, Callable[[Any], str]] = {
    "money": money, "number": number, "percent": percent, "period": period, "text": esc,
}  # fmt: skip


def table_html(
    frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]], caption: str = ""
) -> str:
    """An escaped, captioned HTML table of ``frame`` (headers scoped for screen readers).

    Parameters
    ----------
    frame : the rows to show.
    columns : column -> (header, format), format one of ``money``, ``number``,
        ``percent``, ``period``, ``text``; columns missing from ``frame`` are skipped.
    caption : what the table shows (its ``<caption>``).

    Examples
    --------
    >>> page = table_html(pd.DataFrame({"name": ["<b>"]}), {"name": ("Name", "text")}, "Sites")
    >>> page[:67]
    '<table><caption>Sites</caption><thead><tr><th scope="col">Name</th>'
    >>> page[67:]
    '</tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    shown = [(c, h, f) for c, (h, f) in columns.items() if c in frame.columns]
    head = "".join(
        f'<th scope="col">{esc(h)}</th>'
        if f == "text"
        else f'<th scope="col" class="num">{esc(h)}</th>'
        for _, h, f in shown
    )
    rows = []
    for record in frame[[c for c, _, _ in shown]].to_dict("records"):
        cells = [
            (
                f'<td class="id">{esc(record[c])}</td>'
                if c.endswith("_id")
                else f"<td>{esc(record[c])}</td>"
            )
            if f == "text"
            else f'<td class="num">{FORMATS[f](record[c])}</td>'
            for c, _, f in shown
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    title = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
