"""Charts of a plan (matplotlib figures, no pyplot): cash flow, targets, utilisation, projects.

Every function takes a :class:`~estates_opt.report.data.ReportData` and returns a
matplotlib :class:`~matplotlib.figure.Figure` (or None when the plan has nothing to
draw); :func:`estates_opt.report.maps.figure_png` turns it into PNG bytes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from estates_opt.report.data import ReportData

__all__ = ["cash_flow_chart", "projects_chart", "targets_chart", "utilisation_chart"]

COLOURS = {
    "budget": "#1f77b4",
    "retained_receipts": "#2ca02c",
    "capex": "#d62728",
    "backlog_spend": "#ff7f0e",
    "cumulative_position": "#111111",
}


def _millions(value: float, _pos: object = None) -> str:
    return f"£{value / 1e6:,.1f}m"


def _plain(text: str) -> str:
    """Text from input data, with ``$`` escaped so matplotlib draws it as written."""
    return text.replace("$", r"\$")


def cash_flow_chart(data: ReportData) -> Figure | None:
    """Bars per period: money in (budget, retained receipts) above zero, money out
    (capex, backlog spend) below; the line is the cumulative cash position."""
    cash = data.cash_flow
    if cash.empty:
        return None
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.subplots()
    periods = cash["period"].to_numpy()
    width = 0.2
    series = [
        ("budget", 1, -1.5), ("retained_receipts", 1, -0.5),
        ("capex", -1, 0.5), ("backlog_spend", -1, 1.5),
    ]  # fmt: skip
    for column, sign, offset in series:
        ax.bar(
            periods + offset * width, sign * cash[column].to_numpy(dtype=float), width,
            label=column.replace("_", " "), color=COLOURS[column],
        )  # fmt: skip
    ax.plot(
        periods, cash["cumulative_position"].to_numpy(dtype=float), marker="o",
        color=COLOURS["cumulative_position"], label="cumulative position", linewidth=2,
    )  # fmt: skip
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_xticks(periods, [f"period {p}" for p in periods])
    ax.yaxis.set_major_formatter(FuncFormatter(_millions))
    ax.set_ylabel("GBP (money out shown below zero)")
    ax.set_title("Capital cash flow per period")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=5, fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def targets_chart(data: ReportData) -> Figure | None:
    """Receipts and homes delivered against their targets (a bar and a target line each)."""
    kpis = data.kpis
    if "receipts" not in kpis:
        return None
    fig = Figure(figsize=(10, 2.6), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = [
        (axes[0], "Capital receipts", kpis.get("receipts"), kpis.get("receipts_target"), True),
        (axes[1], "Homes", kpis.get("housing_units"), kpis.get("housing_target"), False),
    ]
    for ax, title, value, target, money in panels:
        value = float(value or 0.0)
        target = float(target or 0.0)
        met = value >= target - 1e-6
        ax.barh([0], [value], color="#2ca02c" if met else "#d62728", height=0.5)
        if target > 0:
            ax.axvline(target, color="#111111", linestyle="--", linewidth=1.5)
            ax.text(target, 0.38, " target", va="bottom", fontsize=9)
        top = max(value, target, 1.0) * 1.2
        ax.set_xlim(0, top)
        ax.set_ylim(-0.5, 0.7)
        ax.set_yticks([])
        text = _millions(value) if money else f"{value:,.0f}"
        ax.text(value, 0, f" {text}", va="center", fontsize=10)
        if money:
            ax.xaxis.set_major_formatter(FuncFormatter(_millions))
        ax.set_title(f"{title}: {'target met' if met else 'below target'}", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    return fig


def utilisation_chart(data: ReportData) -> Figure | None:
    """Estate-wide utilisation in the first and last period, and the spread over sites."""
    kpis = data.kpis
    first, last = f"utilisation_p{1}", f"utilisation_p{data.periods}"
    if data.sites.empty or first not in data.sites or "utilisation_before" not in kpis:
        return None
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 2.2])
    values = [float(kpis.get("utilisation_before") or 0), float(kpis.get("utilisation_after") or 0)]
    labels = ["period 1", f"period {data.periods}"]
    left.bar(labels, [100 * v for v in values], color=["#9ecae1", "#3182bd"])
    for i, v in enumerate(values):
        left.text(i, 100 * v, f"{100 * v:.0f}%", ha="center", va="bottom")
    left.set_ylim(0, 110)
    left.set_ylabel("estate-wide load / capacity (%)")
    left.set_title("Estate utilisation", fontsize=10)
    bins = np.linspace(0, 100, 21)
    for column, label, colour in ((first, labels[0], "#9ecae1"), (last, labels[1], "#3182bd")):
        site_values = 100 * data.sites[column].astype(float).dropna().to_numpy()
        right.hist(
            site_values, bins=bins, histtype="stepfilled" if column == first else "step",
            color=colour, linewidth=2, label=f"{label} ({len(site_values)} sites)",
        )  # fmt: skip
    right.set_xlabel("site utilisation (%)")
    right.set_ylabel("sites")
    right.set_title("Utilisation of each site in use", fontsize=10)
    right.legend(fontsize=9)
    return fig


def projects_chart(data: ReportData) -> Figure | None:
    """One bar per built project from its start period to the period it is ready."""
    built = data.built_projects
    if built.empty:
        return None
    built = built.head(40)
    height = 0.9 + 0.28 * len(built)
    fig = Figure(figsize=(10, height), layout="constrained")
    ax = fig.subplots()
    starts = built["start_period"].to_numpy(dtype=float)
    ready = built["ready_period"].to_numpy(dtype=float)
    rows = np.arange(len(built))
    ax.barh(rows, np.maximum(ready - starts, 0.15), left=starts, color="#2ca02c", height=0.6)
    labels = [
        _plain(f"{p} at {s}") for p, s in zip(built["project_id"], built["site_id"], strict=True)
    ]
    ax.set_yticks(rows, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0.5, data.periods + 1.5)
    ax.set_xticks(range(1, data.periods + 2))
    ax.set_xlabel("period (bar: from start to ready for use)")
    ax.set_title("Projects built", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig
