"""The board workbook (openpyxl): one sheet per table, numbers exactly as in ``summary.json``.

Sheets: ``summary`` (status, objective, bound, gap, solver, timings and every KPI, nested
ones flattened as ``travel_last_period.community.average_m``, lists as
``cash_position.p1``...), ``sites``, ``projects``, ``cash flow``, ``assignments summary``
(per period, site and service: zones served and their summed share), and
``marriage pairs`` when any pair is sold together. Values are written unrounded (a
display format rounds them on screen); the file keeps 16 significant digits, one more
than Excel shows. Text from input data is stored as text, never as
a formula, so a site named ``=HYPERLINK(...)`` stays a name.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from estates_opt.io.atomic import atomic_file
from estates_opt.io.output_guard import GENERATOR
from estates_opt.report.data import CATEGORIES, ReportData

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from estates_opt.plan import Plan

__all__ = ["flatten_summary", "write_excel"]

_MONEY_WORDS = ("receipt", "capex", "budget", "cost", "saving", "backlog", "spend", "net",
                "position", "objective", "bound", "value")  # fmt: skip
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def flatten_summary(summary: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` rows of ``summary.json``: nested keys joined with dots.

    Examples
    --------
    >>> list(flatten_summary({"status": "optimal", "kpis": {"receipts": 1.0, "cash": [2, 3]}}))
    [('status', 'optimal'), ('receipts', 1.0), ('cash.p1', 2), ('cash.p2', 3)]
    """

    def walk(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            if value and all(isinstance(v, dict) for v in value):
                for i, inner in enumerate(value, start=1):
                    yield from walk(f"{prefix}.{i}", inner)
            else:
                for i, inner in enumerate(value, start=1):
                    yield f"{prefix}.p{i}", inner
        else:
            yield prefix, value

    for key, value in summary.items():
        # KPIs sit at the top of the sheet without a "kpis." prefix
        yield from walk("" if key == "kpis" else key, value)


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def _number_format(column: str) -> str | None:
    name = column.lower()
    if name.startswith("utilisation") or name in ("mip_gap", "share"):
        return "0.0%"
    if "period" in name:
        return "0"
    if any(word in name for word in _MONEY_WORDS):
        return '"£"#,##0'
    if name.endswith("_m") or name.endswith("_m2") or "housing" in name:
        return "#,##0"
    return None


def _put_table(ws: Worksheet, frame: pd.DataFrame) -> None:
    """Write ``frame`` with a bold header, frozen first row and filters."""
    columns = [str(c) for c in frame.columns]
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    formats = [_number_format(c) for c in columns]
    for row in frame.itertuples(index=False, name=None):
        ws.append([_cell_value(v) for v in row])
        for cell, fmt in zip(ws[ws.max_row], formats, strict=True):
            if cell.data_type == "f":  # text that looks like a formula stays text
                cell.data_type = "s"
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    for i, column in enumerate(columns, start=1):
        width = max([len(column), *(len(str(v)) for v in frame.iloc[:200, i - 1])], default=8)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)


def _assignments_summary(data: ReportData) -> pd.DataFrame:
    a = data.assignments
    if a.empty:
        return pd.DataFrame(columns=["period", "site_id", "service", "zones_served", "share_sum"])
    table = a.groupby(["period", "site_id", "service"], as_index=False).agg(
        zones_served=("zone_id", "nunique"), share_sum=("share", "sum")
    )
    if "distance_m" in a.columns:
        longest = a.groupby(["period", "site_id", "service"], as_index=False)["distance_m"].max()
        table = table.merge(longest.rename(columns={"distance_m": "longest_distance_m"}))
    return table.sort_values(["period", "site_id", "service"], ignore_index=True)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def write_excel(
    plan_or_folder: Plan | ReportData | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write the board workbook of a plan (or an ``estates-opt solve`` folder) to ``path``.

    ``extra_sheets`` (title -> table) are appended after the standard sheets, e.g. the
    "alternatives" and "fair access" sheets of :mod:`estates_opt.report.sections`.

    Returns
    -------
    Path
        ``path`` (written beside it first and renamed into place).

    Examples
    --------
    >>> write_excel("out/ncl", "out/ncl/plan.xlsx")  # doctest: +SKIP
    PosixPath('out/ncl/plan.xlsx')
    """
    data = ReportData.load(plan_or_folder)
    wb = Workbook()
    wb.properties.creator = GENERATOR  # how 'report' recognises its own workbook
    ws = wb.active
    assert ws is not None
    ws.title = "summary"
    rows = [("instance", data.name), *flatten_summary(data.summary)]
    _put_table(ws, pd.DataFrame(rows, columns=["key", "value"]))
    for row in ws.iter_rows(min_row=2):
        fmt = _number_format(str(row[0].value))
        if fmt and isinstance(row[1].value, int | float):
            row[1].number_format = fmt
    ws.column_dimensions["B"].width = 24

    sites = _plain(data.sites).copy()
    sites["category"] = sites["category"].map(CATEGORIES).fillna(sites["category"])
    first = ["site_id", "name", "borough", "decision", "category", "dispose_period", "receipt",
             "housing_units"]  # fmt: skip
    sites = sites[[c for c in first if c in sites] + [c for c in sites if c not in first]]
    sheets = {
        "sites": sites,
        "projects": _plain(data.projects),
        "cash flow": _plain(data.cash_flow),
        "assignments summary": _assignments_summary(data),
    }
    if len(data.marriage_pairs):
        sheets["marriage pairs"] = _plain(data.marriage_pairs)
    for title, frame in {**sheets, **(extra_sheets or {})}.items():
        _put_table(wb.create_sheet(title[:31]), _plain(frame))
    target = Path(path)
    with atomic_file(target) as handle:
        wb.save(handle)
    return target
