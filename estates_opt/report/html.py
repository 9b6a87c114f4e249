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
import html
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from estates_opt.plan import total_seconds
from estates_opt.report import charts
from estates_opt.report.data import CATEGORIES, ReportData
from estates_opt.report.maps import estate_map, figure_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from estates_opt.plan import Plan

__all__ = ["Section", "render_html", "table_html", "write_html"]


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


def _number(value: Any, digits: int = 0) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{float(value):,.{digits}f}"


def _percent(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{100 * float(value):.1f}%"


def _period(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{int(value)}"


FORMATS: dict[str, Callable[[Any], str]] = {
    "money": money, "number": _number, "percent": _percent, "period": _period, "text": esc,
}  # fmt: skip


def table_html(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> str:
    """An escaped HTML table of ``frame``.

    Parameters
    ----------
    frame : the rows to show.
    columns : column -> (header, format), format one of ``money``, ``number``,
        ``percent``, ``period``, ``text``; columns missing from ``frame`` are skipped.

    Examples
    --------
    >>> table_html(pd.DataFrame({"name": ["<b>"]}), {"name": ("Name", "text")})
    '<table><thead><tr><th>Name</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    shown = [(c, h, f) for c, (h, f) in columns.items() if c in frame.columns]
    head = "".join(
        f"<th>{esc(h)}</th>" if f == "text" else f'<th class="num">{esc(h)}</th>'
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
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def figure_html(fig: Figure | None, alt: str, *, css_class: str = "chart") -> str:
    """A figure as an inline base64 PNG ``<img>`` (empty text for None)."""
    if fig is None:
        return ""
    data = base64.b64encode(figure_png(fig)).decode("ascii")
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
    })  # fmt: skip


def _site_names(data: ReportData) -> dict[str, str]:
    return dict(zip(data.sites["site_id"], data.sites["name"], strict=True))


def _standard_sections(data: ReportData) -> list[Section]:
    out: list[Section] = []
    fig, approximated = estate_map(data)
    outline_note = (
        "Borough outlines are <em>approximate</em>: Voronoi cells of the zone points "
        "dissolved by borough, clipped to the buffered hull of the estate."
        if approximated else "Borough outlines as supplied."
    )  # fmt: skip
    out.append(Section("Map of the estate", (
        figure_html(fig, "Map of the estate: sites by decision, zones by travel change",
                    css_class="map")
        + f'<p class="caption">Sites by decision. Zones shaded by the change in their average '
        f"travel distance from period 1 to period {data.periods} (blue: shorter, red: longer). "
        f"{outline_note}</p>"
    ), "map"))  # fmt: skip
    cash = data.cash_flow
    out.append(Section("Cash flow", figure_html(charts.cash_flow_chart(data), "Cash flow chart")
        + table_html(cash, {
            "period": ("Period", "period"), "budget": ("Budget", "money"),
            "receipts": ("Receipts", "money"), "retained_receipts": ("Retained receipts", "money"),
            "capex": ("Capital spend", "money"), "backlog_spend": ("Backlog spend", "money"),
            "net": ("Net", "money"), "cumulative_position": ("Cumulative position", "money"),
        }), "cash-flow"))  # fmt: skip
    targets = figure_html(charts.targets_chart(data), "Receipts and homes against targets")
    out.append(Section("Receipts and housing against targets", targets, "targets"))
    out.append(Section("Utilisation before and after",
                       figure_html(charts.utilisation_chart(data), "Utilisation chart")
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
    }), "disposals"))  # fmt: skip
    built = data.built_projects.copy()
    if len(built):
        built["site_name"] = built["site_id"].map(_site_names(data))
    body = figure_html(charts.projects_chart(data), "Projects built") if len(built) else (
        "<p>No project is built.</p>")  # fmt: skip
    out.append(Section("Projects built and when", body + table_html(built, {
        "project_id": ("Project", "text"), "site_id": ("Site", "text"),
        "site_name": ("Site name", "text"), "kind": ("Kind", "text"),
        "start_period": ("Starts", "period"), "ready_period": ("Ready", "period"),
        "capex": ("Capital cost", "money"),
    }), "projects"))  # fmt: skip
    if len(data.marriage_pairs):
        out.append(Section("Sites sold together", (
            "<p>Neighbouring sites sold in the same period fetch more together "
            "(marriage value).</p>" + table_html(data.marriage_pairs, {
                "site_a": ("Site", "text"), "site_b": ("With site", "text"),
                "period": ("Period", "period"), "value_uplift": ("Extra receipt", "money"),
                "housing_uplift": ("Extra homes", "number"),
            })), "pairs"))  # fmt: skip
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
        body += table_html(shortfalls, columns)
    return [Section("Why there is no plan", body, "no-plan")]


def render_html(data: ReportData, *, sections: Sequence[Section] = (), title: str = "") -> str:
    """The report page as text.

    Parameters
    ----------
    data : the plan's tables.
    sections : extra sections, appended after the standard ones. This is the place for
        "Alternatives" and "Fair access" sections.
    title : page title (default: the instance name).
    """
    title = title or f"Estate plan: {data.name}"
    standard = _standard_sections(data) if data.has_solution else _no_solution_sections(data)
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
<style>{_CSS}</style>
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
    text = render_html(data, sections=sections, title=title)
    return _atomic_write(Path(path), text.encode("utf-8"))


def _atomic_write(path: Path, content: bytes) -> Path:
    from estates_opt.io.atomic import write_file  # exclusive, unpredictable temporary file

    return write_file(path, content)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#1b1b1b;background:#f6f7f9;line-height:1.45}
header{background:#12355b;color:#fff;padding:18px 32px 10px}
header h1{margin:0 0 6px;font-size:26px}
.status{margin:0 0 10px;font-size:14px;opacity:.95}
nav a{color:#cfe3ff;margin-right:14px;font-size:13px;text-decoration:none}
main{padding:8px 32px 40px;max-width:1300px}
section{background:#fff;border-radius:8px;padding:14px 20px;margin:16px 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:20px;margin:4px 0 12px;color:#12355b}
h3{font-size:15px;margin:16px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:12px}
.card{border:1px solid #dde3ea;border-left:6px solid #8aa1b8;border-radius:6px;padding:10px 12px}
.card.met{border-left-color:#2ca02c}.card.short{border-left-color:#d62728}
.card .label{font-size:13px;color:#555}.card .value{font-size:24px;font-weight:600}
.card .note{font-size:12px;color:#555}
img.map,img.chart{max-width:100%;height:auto;display:block;margin:6px 0}
.caption{font-size:12px;color:#555}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border-bottom:1px solid #e3e7ec;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num,th.num{text-align:right;white-space:nowrap}td.id{white-space:nowrap}
"""
