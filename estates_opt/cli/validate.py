"""``estates-opt validate DIR``: check an instance folder and summarise the estate.

Exit code 0 when the folder passes every input rule of MODEL.md section 7 (the summary
tables go to stdout); a broken rule is reported on stderr by :func:`estates_opt.cli.main`
with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from estates_opt.describe import describe
from estates_opt.io import read_instance

__all__ = ["add_parser", "run"]

_MAX_CATEGORIES = 8
_PIPE_WIDTH = 160  # columns when stdout is a file or a pipe
_SHORT = {
    "disposable": "disposable",
    "capacity_m2": "floor m2",
    "running_cost": "running GBP/yr",
    "backlog_cost": "backlog GBP",
    "market_value": "value GBP",
    "housing_units": "homes",
    "added_capacity_m2": "added m2",
    "running_cost_delta": "running delta GBP/yr",
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``validate`` on the subcommand parsers."""
    parser = subparsers.add_parser(
        "validate",
        help="check an instance folder against the input rules and summarise it",
        description=(
            "Read an instance folder, check every input rule (MODEL.md section 7) and print "
            "the estate by borough, demand by service and zones out of reach. "
            "Exit code 0 when valid, 2 with a message naming file, row and column when not."
        ),
    )
    parser.add_argument("instance_dir", metavar="DIR", type=Path, help="instance folder")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=20,
        metavar="N",
        help="list at most N zones out of reach (default 20)",
    )
    return parser


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(value).lower()
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.3g}"
    return str(value)


def _table(frame: pd.DataFrame, title: str, *, max_rows: int | None = None) -> Table:
    index_name = frame.index.name or ""
    shown = frame if max_rows is None else frame.head(max_rows)
    table = Table(title=title, title_justify="left", show_lines=False)
    if not isinstance(frame.index, pd.RangeIndex):
        table.add_column(str(index_name))
    for column in frame.columns:
        table.add_column(
            str(column), justify="right" if frame[column].dtype.kind in "iuf" else "left"
        )
    for label, row in shown.iterrows():
        cells = [_cell(v) for v in row.tolist()]
        if not isinstance(frame.index, pd.RangeIndex):
            cells.insert(0, str(label))
        table.add_row(*cells)
    if max_rows is not None and len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows} more rows not shown (--max-rows)."
    return table


def _fold_categories(table: pd.DataFrame) -> pd.DataFrame:
    """Keep the most common categories as columns and add the rest up as 'other'."""
    categories = table.drop(columns="Total")
    if categories.shape[1] <= _MAX_CATEGORIES:
        return table
    order = categories.loc["Total"].sort_values(ascending=False, kind="stable").index
    keep, rest = list(order[: _MAX_CATEGORIES - 1]), list(order[_MAX_CATEGORIES - 1 :])
    folded = categories[keep].copy()
    folded[f"other ({len(rest)})"] = categories[rest].sum(axis=1)
    folded["Total"] = table["Total"]
    return folded


def run(args: argparse.Namespace) -> int:
    """Validate ``args.instance_dir`` and print its summary; returns the exit code."""
    instance = read_instance(args.instance_dir)
    summary = describe(instance)
    console = Console(file=sys.stdout)
    if not console.is_terminal:
        console.width = _PIPE_WIDTH
    console.print(
        f"[bold green]valid[/]: {instance.name} ({args.instance_dir}): {summary['sites']} sites "
        f"({summary['disposable_sites']} disposable), {summary['zones']} zones, "
        f"{summary['projects']} projects, {summary['periods']} periods, "
        f"services {', '.join(instance.scenario.services) or 'none'}."
    )
    headline = pd.DataFrame(
        {
            "value": [
                summary["population"],
                summary["capacity_m2"],
                summary["demand_m2_p1"],
                summary["demand_m2_pT"],
                summary["running_cost"],
                summary["backlog_cost"],
                summary["market_value"],
                summary["housing_units"],
                summary["capex"],
            ]
        },
        index=pd.Index(
            [
                "population (period 1)",
                "floor area (m2)",
                "demand, all services, period 1 (m2)",
                f"demand, all services, period {summary['periods']} (m2)",
                "running cost (GBP/year)",
                "backlog maintenance (GBP)",
                "market value (GBP)",
                "housing capacity (homes)",
                "project capex, all options (GBP)",
            ],
            name="estate",
        ),
    )
    console.print(_table(headline, "Estate"))
    console.print(_table(summary["sites_by_borough"].rename(columns=_SHORT), "Sites by borough"))
    console.print(
        _table(
            _fold_categories(summary["sites_by_category"]),
            f"Sites by borough and {summary['category_column']}",
        )
    )
    if summary["projects"]:
        console.print(
            _table(summary["projects_by_kind"].rename(columns=_SHORT), "Projects by kind")
        )
    demand = summary["demand_by_service"].T
    demand.index.name = "service"
    console.print(_table(demand, "Demand by service"))
    real = summary.get("provenance")
    if real is not None:
        shown = real.copy()
        for kind in ("public", "derived", "synthetic"):
            shown[kind] = shown[kind].astype(np.int64)
            shown[f"{kind}_share"] = (100 * shown[f"{kind}_share"]).round(1)
        shown = shown.rename(
            columns={
                "public": "sites public", "derived": "sites derived",
                "synthetic": "sites synthetic", "public_share": "% public",
                "derived_share": "% derived", "synthetic_share": "% synthetic",
            }
        )  # fmt: skip
        table = _table(shown, "What is real: site columns from a public source, derived, synthetic")
        table.caption = (
            "public: copied from a published figure; derived: computed from published figures "
            "by a written rule; synthetic: no site-specific public figure. % is of the "
            "column total (of sites for text columns)."
        )
        console.print(table)
    unreached = summary["zones_out_of_reach"]
    if len(unreached):
        console.print(
            _table(
                unreached,
                f"Zones with no site in reach ({len(unreached)} zone-service pairs)",
                max_rows=args.max_rows,
            )
        )
    else:
        console.print("Every zone has a site in reach for every service it needs.")
    return 0
