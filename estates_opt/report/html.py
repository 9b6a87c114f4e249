"""One self-contained HTML page for an estates board: KPIs, map, charts and tables.

Everything is inside the file (CSS inline, figures as base64 PNG ``<img>``), so the
page opens offline and can be mailed as it is. Every text that comes from input data
(site names, ids, boroughs, reasons) goes through :func:`html.escape`.

Later sections ("alternatives", "fair access", ...) plug in through ``sections``: a
sequence of :class:`Section` appended after the standard ones (see
:func:`render_html`).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from estates_opt.io.atomic import write_file
from estates_opt.plan import total_seconds
from estates_opt.report import charts
from estates_opt.report.data import CATEGORIES, ReportData
from estates_opt.report.maps import estate_map, figure_bytes
from estates_opt.report.style import CSS
from estates_opt.report.tables import esc, money, table_html
from estates_opt.report.tables import number as _number
from estates_opt.report.tables import percent as _percent

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from estates_opt.plan import Plan

__all__ = ["Section", "esc", "figure_html", "money", "render_html", "table_html", "write_html"]


@dataclass(frozen=True)
class Section:
    """An extra report section (e.g. "Alternatives", "Fair access").

    ``body_html`` is inserted as it is: build it with :func:`table_html`,
    :func:`figure_html` and :func:`html.escape` so input text stays escaped.
    """

    title: str
    body_html: str
    anchor: str = ""

    @property
    def id(self) -> str:
        """The HTML id of the section (from ``anchor`` or the title)."""
        raw = self.anchor or self.title
        return "".join(c if c.isalnum() else "-" for c in raw.lower()).strip("-") or "section"


def figure_html(
    fig: Figure | None,
    alt: str,
    *,
    css_class: str = "chart",
    name: str = "",
    figures: dict[str, Figure] | None = None,
) -> str:
    """A figure as an inline base64 PNG ``<img>`` (empty text for None).

    With ``figures`` and a ``name`` the figure is also kept there, for
    :func:`write_html` to save as PNG and SVG beside the page.
    """
    if fig is None:
        return ""
    if figures is not None and name:
        figures[name] = fig
    data = base64.b64encode(figure_bytes(fig, "png")).decode("ascii")
    return f'<img class="{css_class}" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def _kpi_cards(data: ReportData) -> str:
    k = data.kpis
    s = data.summary

    def card(label: str, value: str, note: str = "", state: str = "") -> str:
        cls = f"card {state}".strip()
        return (
            f'<div class="{cls}"><div class="label">{esc(label)}</div>'
            f'<div class="value">{value}</div><div class="note">{note}</div></div>'
        )

    def against(value: Any, target: Any, fmt: Callable[[Any], str]) -> tuple[str, str]:
        target = float(target or 0.0)
        if target <= 0:
            return "no target set", ""
        met = float(value or 0.0) >= target - 1e-6
        short = "" if met else f"; short by {fmt(target - float(value or 0.0))}"
        return f"target {fmt(target)}{short}", "met" if met else "short"

    gap = s.get("mip_gap")
    proof = "proven optimal" if data.status == "optimal" else f"status {esc(data.status)}"
    if gap is not None and data.status != "optimal":
        proof += f", within {100 * float(gap):.2f}% of the best possible"
    cards = [card("Net present value against doing nothing", money(s.get("objective")), proof)]
    note, state = against(k.get("receipts"), k.get("receipts_target"), money)
    cards.append(card("Capital receipts", money(k.get("receipts")), note, state))
    note, state = against(k.get("housing_units"), k.get("housing_target"), _number)
    cards.append(card("Homes on released land", _number(k.get("housing_units")), note, state))
    released = _number(k.get("floor_area_released_m2"))
    cards.append(
        card("Sites disposed", _number(k.get("sites_disposed")), f"{released} m² released")
    )
    cards.append(card("Projects built", _number(k.get("projects_built")),
                      f"capital cost {money(k.get('capex'))}"))  # fmt: skip
    cards.append(card("Running cost saving a year", money(k.get("running_cost_saving_per_year")),
                      f"backlog avoided {money(k.get('backlog_avoided'))}"))  # fmt: skip
    cards.append(card("Utilisation", f"{_percent(k.get('utilisation_before'))} &rarr; "
                      f"{_percent(k.get('utilisation_after'))}",
                      f"period 1 to period {data.periods}"))  # fmt: skip
    cards.append(card("Sold together (marriage value)", _number(k.get("marriage_pairs")),
                      f"{_number(k.get('colocated_hubs'))} co-location hubs"))  # fmt: skip
    return f'<div class="cards">{"".join(cards)}</div>'


def _travel_table(data: ReportData) -> str:
    before = data.kpis.get("travel_first_period") or {}
    after = data.kpis.get("travel_last_period") or {}
    rows = []
    for service in sorted(set(before) | set(after)):
        b, a = before.get(service, {}), after.get(service, {})
        rows.append({
            "service": service.replace("_", " "),
            "average_before": b.get("average_m"), "average_after": a.get("average_m"),
            "worst_before": b.get("worst_m"), "worst_after": a.get("worst_m"),
        })  # fmt: skip
    if not rows:
        return ""
    return table_html(pd.DataFrame(rows), {
        "service": ("Service", "text"),
        "average_before": ("Average distance, period 1 (m)", "number"),
        "average_after": (f"Average distance, period {data.periods} (m)", "number"),
        "worst_before": ("Longest trip, period 1 (m)", "number"),
        "worst_after": (f"Longest trip, period {data.periods} (m)", "number"),
    }, "Travel distance by service, first and last period")  # fmt: skip


def _site_names(data: ReportData) -> dict[str, str]:
    return dict(zip(data.sites["site_id"], data.sites["name"], strict=True))


def _standard_sections(data: ReportData, figures: dict[str, Figure] | None) -> list[Section]:
    out: list[Section] = []
    fig, approximated = estate_map(data)
    outline_note = (
        "Borough outlines are <em>approximate</em>: Voronoi cells of the zone points "
        "dissolved by borough, clipped to the buffered hull of the estate."
        if approximated else "Borough outlines as supplied."
    )  # fmt: skip
    out.append(Section("Map of the estate", (
        figure_html(fig, "Map of the estate: sites by decision, zones by travel change",
                    css_class="map", name="map", figures=figures)
        + f'<p class="caption">Sites by decision. Zones shaded by the change in their average '
        f"travel distance from period 1 to period {data.periods} (blue: shorter, red: longer). "
        f"{outline_note}</p>"
    ), "map"))  # fmt: skip
    cash = data.cash_flow
    out.append(Section("Cash flow", figure_html(charts.cash_flow_chart(data), "Cash flow chart",
                                                  name="cash_flow", figures=figures)
        + table_html(cash, {
            "period": ("Period", "period"), "budget": ("Budget", "money"),
            "receipts": ("Receipts", "money"), "retained_receipts": ("Retained receipts", "money"),
            "capex": ("Capital spend", "money"), "backlog_spend": ("Backlog spend", "money"),
            "net": ("Net", "money"), "cumulative_position": ("Cumulative position", "money"),
        }, "Capital cash flow per period (GBP)"), "cash-flow"))  # fmt: skip
    targets = figure_html(charts.targets_chart(data), "Receipts and homes against targets",
                          name="targets", figures=figures)  # fmt: skip
    out.append(Section("Receipts and housing against targets", targets, "targets"))
    out.append(Section("Utilisation before and after",
                       figure_html(charts.utilisation_chart(data), "Utilisation chart",
                                   name="utilisation", figures=figures)
                       + "<h3>Travel distance by service</h3>" + _travel_table(data),
                       "utilisation"))  # fmt: skip
    disposals = data.disposals
    body = (f"<p>{len(disposals)} sites are disposed, total receipt "
            f"{money(disposals['receipt'].sum())}.</p>") if len(disposals) else (
            "<p>No site is disposed.</p>")  # fmt: skip
    out.append(Section("Disposals", body + table_html(disposals, {
        "site_id": ("Site", "text"), "name": ("Name", "text"), "borough": ("Borough", "text"),
        "dispose_period": ("Period", "period"), "receipt": ("Receipt", "money"),
        "housing_units": ("Homes", "number"), "reason": ("Why", "text"),
    }, "Sites disposed, with the period, receipt, homes and reason"), "disposals"))  # fmt: skip
    built = data.built_projects.copy()
    if len(built):
        built["site_name"] = built["site_id"].map(_site_names(data))
    body = figure_html(charts.projects_chart(data), "Projects built",
                                              name="projects", figures=figures) if len(built) else (
        "<p>No project is built.</p>")  # fmt: skip
    out.append(Section("Projects built and when", body + table_html(built, {
        "project_id": ("Project", "text"), "site_id": ("Site", "text"),
        "site_name": ("Site name", "text"), "kind": ("Kind", "text"),
        "start_period": ("Starts", "period"), "ready_period": ("Ready", "period"),
        "capex": ("Capital cost", "money"),
    }, "Projects built, with start and ready periods"), "projects"))  # fmt: skip
    if len(data.marriage_pairs):
        out.append(Section("Sites sold together", (
            "<p>Neighbouring sites sold in the same period fetch more together "
            "(marriage value).</p>" + table_html(data.marriage_pairs, {
                "site_a": ("Site", "text"), "site_b": ("With site", "text"),
                "period": ("Period", "period"), "value_uplift": ("Extra receipt", "money"),
                "housing_uplift": ("Extra homes", "number"),
            }, "Neighbouring sites sold together")), "pairs"))  # fmt: skip
    return out


def _no_solution_sections(data: ReportData) -> list[Section]:
    shortfalls = pd.DataFrame(data.summary.get("shortfalls") or [])
    text = {
        "infeasible": "No plan meets every requirement. The table shows how far each "
        "requirement is from being met; relax one of them (or add options) and solve again.",
        "no_solution": "The solver found no plan within the time limit. Give it more time "
        "or a looser gap.",
    }.get(data.status, "This plan carries no decisions.")
    body = f"<p>{esc(text)}</p>"
    if not shortfalls.empty:
        columns = {c: (c.replace("_", " ").capitalize(), "text") for c in shortfalls.columns}
        for c in shortfalls.columns:
            if pd.api.types.is_numeric_dtype(shortfalls[c]) and c != "period":
                columns[c] = (c.replace("_", " ").capitalize(), "number")
        body += table_html(shortfalls, columns, "How far each requirement is from being met")
    return [Section("Why there is no plan", body, "no-plan")]


def render_html(
    data: ReportData,
    *,
    sections: Sequence[Section] = (),
    title: str = "",
    figures: dict[str, Figure] | None = None,
) -> str:
    """The report page as text.

    Parameters
    ----------
    data : the plan's tables.
    sections : extra sections, appended after the standard ones. This is the place for
        "Alternatives" and "Fair access" sections.
    title : page title (default: "Estate plan: " and the instance's name).
    figures : when given, receives the standard figures by name (``map``, ``cash_flow``...).
    """
    title = title or f"Estate plan: {data.name}"
    standard = (
        _standard_sections(data, figures) if data.has_solution else _no_solution_sections(data)
    )
    # --- extra sections (alternatives, fair access, ...) are appended here ---
    every = [*standard, *sections]
    nav = "".join(f'<a href="#{s.id}">{esc(s.title)}</a>' for s in every)
    body = "".join(
        f'<section id="{s.id}"><h2>{esc(s.title)}</h2>{s.body_html}</section>' for s in every
    )
    s = data.summary
    timings = s.get("timings") or {}
    seconds = total_seconds(timings)
    legend = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in CATEGORIES.items())
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    headline = _kpi_cards(data) if data.has_solution else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="estates_opt">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{esc(title)}</h1>
<p class="status status-{esc(data.status)}">Plan status: <b>{esc(data.status)}</b>
&middot; solver {esc(s.get("solver"))} &middot; {seconds:,.1f} s
&middot; bound {money(s.get("best_bound"))}
&middot; gap {_percent(s.get("mip_gap"))}</p>
<nav>{nav}</nav>
</header>
<main>
<section id="headline"><h2>Headline</h2>{headline}</section>
{body}
<section id="about"><h2>About this report</h2>
<p>Money is in pounds; the net present value is discounted over the plan's
{data.periods} periods against keeping every site as it is. Site categories on the map:</p>
<ul>{legend}</ul>
<p class="caption">Made by estates_opt on {made} from {esc(data.source)}.</p>
</section>
</main>
</body>
</html>
"""


def write_html(
    plan_or_folder: Plan | ReportData | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    boroughs: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    sections: Sequence[Section] = (),
    title: str = "",
) -> Path:
    """Write the self-contained HTML report of a plan (or an output folder) to ``path``.

    Parameters
    ----------
    plan_or_folder : a :class:`~estates_opt.plan.Plan`, a :class:`ReportData`, or the
        folder ``estates-opt solve --out`` wrote.
    path : the ``.html`` file to write (replaced in one rename, never half-written).
    boroughs : borough outlines (GeoDataFrame, vector file, or a folder holding
        ``boroughs.gpkg``); approximated from the zones when None.
    sections : extra :class:`Section` objects appended after the standard ones.
    title : page title.

    The figures are also written as PNG and SVG (for slides) to the folder
    ``<name>_figures`` beside the page, e.g. ``report_figures/map.svg``.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> write_html("out/ncl", "out/ncl/report.html")  # doctest: +SKIP
    PosixPath('out/ncl/report.html')
    """
    data = ReportData.load(plan_or_folder, boroughs=boroughs)
    figures: dict[str, Figure] = {}
    text = render_html(data, sections=sections, title=title, figures=figures)
    target = Path(path)
    folder = target.with_name(f"{target.stem}_figures")
    for name, fig in figures.items():
        for fmt in ("png", "svg"):
            write_file(folder / f"{name}.{fmt}", figure_bytes(fig, fmt))
    return write_file(target, text.encode("utf-8"))
