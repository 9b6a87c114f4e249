"""Report sections "Alternatives" and "Fair access", plugged in through :class:`Section`.

::

    from estates_opt.access import access
    from estates_opt.optimize.alternatives import alternatives
    from estates_opt.report import write_excel, write_html
    from estates_opt.report.sections import (
        access_sheets, alternatives_section, alternatives_sheets, fair_access_section)

    alts = alternatives(inst, k=10, within=0.02)
    acc = access(inst, alts.plans[0])
    write_html(alts.plans[0], "out/report.html",
               sections=[alternatives_section(alts), fair_access_section(acc)])
    write_excel(alts.plans[0], "out/plan.xlsx",
                extra_sheets={**alternatives_sheets(alts), **access_sheets(acc)})

``alts`` may be any object with the attributes of
:class:`estates_opt.optimize.alternatives.Alternatives` (``summary``, ``table``, ``plans``,
``within``, ``exhausted``, ``reason``): the report layer never imports the solver layer.
"""

from __future__ import annotations

import html
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.cm import ScalarMappable
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from estates_opt.access import Access
from estates_opt.report.html import Section, figure_html, table_html
from estates_opt.report.maps import HULL_BUFFER_M, zone_cells

__all__ = [
    "access_change_map",
    "access_sheets",
    "alternatives_section",
    "alternatives_sheets",
    "fair_access_section",
    "provenance_section",
]


def alternatives_section(alts: Any) -> Section:
    """Plans within the band, best first, and the core / open-choice table."""
    state = "complete (no further plan exists within the band)" if alts.exhausted else "stopped"
    counts = alts.table["status"].value_counts()
    intro = (
        f"<p>{len(alts.plans)} plan(s) with NPV within {alts.within:.1%} of the optimum that "
        f"differ in which sites they dispose of; search {html.escape(state)}: "
        f"{html.escape(alts.reason)}. Sites disposed in every plan: {counts.get('core', 0)} "
        f"(core); in none: {counts.get('never', 0)}; in some: "
        f"{counts.get('open choice', 0)} (open choices, the decisions the model leaves to "
        "the board at little cost).</p>"
    )
    plans = table_html(alts.summary, {
        "alternative": ("Plan", "text"), "objective": ("NPV", "money"),
        "npv_given_up": ("NPV given up", "money"), "sites_disposed": ("Disposals", "number"),
        "disposed_only_here": ("Also sells", "text"),
        "retained_only_here": ("Keeps instead", "text"),
        "receipts": ("Receipts", "money"), "housing_units": ("Homes", "number"),
    })  # fmt: skip
    choices = alts.table[alts.table["status"] != "never"]
    sites = table_html(choices, {
        "site_id": ("Site", "text"), "name": ("Name", "text"), "borough": ("Borough", "text"),
        "status": ("Status", "text"), "disposed_in": ("Disposed in (plans)", "number"),
        "optimum_choice": ("In the optimum", "text"),
        "npv_given_up": ("NPV given up by the other choice", "money"),
    })  # fmt: skip
    body = intro + "<h3>Plans</h3>" + plans + "<h3>Core and open choices</h3>" + sites
    return Section("Alternatives", body, "alternatives")


def _breakdown(acc: Access, group_by: str) -> pd.DataFrame:
    table = acc.by(group_by).copy()
    if group_by == "imd_decile":
        table = table.assign(_order=pd.to_numeric(table["group"], errors="coerce"))
        table = table.sort_values(["service", "_order"]).drop(columns="_order")
    return table


def access_change_map(acc: Access, *, width_in: float = 11.0) -> Figure | None:
    """One panel per service: zones (Voronoi cells) shaded by the change in 2SFCA score."""
    zones = acc.zones
    if zones.empty or zones.geometry.isna().all():
        return None
    services = list(dict.fromkeys(zones["service"]))
    xy = shapely.get_coordinates(zones.geometry.representative_point().to_numpy())
    extent = shapely.convex_hull(shapely.multipoints(xy)).buffer(HULL_BUFFER_M)
    columns = min(len(services), 2)
    rows = int(np.ceil(len(services) / columns))
    fig = Figure(figsize=(width_in, width_in * 0.45 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)  # its own canvas: no pyplot state
    for ax, service in zip(axes.ravel(), services, strict=False):
        part = zones[zones["service"] == service][["access_change", "geometry"]]
        cells = zone_cells(gpd.GeoDataFrame(part, geometry="geometry", crs=zones.crs), extent)
        change = cells["access_change"].astype(float)
        finite = change[np.isfinite(change)]
        bound = max(float(np.abs(finite).max()) if len(finite) else 0.0, 1e-9)
        norm = TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound)
        shapes = np.asarray(cells.geometry.values)
        cells[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))].plot(
            ax=ax, column="access_change", cmap="RdBu", norm=norm, edgecolor="white",
            linewidth=0.3,
        )  # fmt: skip
        fig.colorbar(ScalarMappable(norm=norm, cmap="RdBu"), ax=ax, shrink=0.7)
        ax.set_title(f"{service}: change in 2SFCA (m2 per 1,000 residents)", fontsize=10)
        ax.set_aspect("equal")
        ax.set_axis_off()
    for ax in axes.ravel()[len(services) :]:
        ax.set_axis_off()
    return fig


def fair_access_section(acc: Access) -> Section:
    """Distances before / after by deprivation decile and borough, and the 2SFCA map."""
    columns = {
        "service": ("Service", "text"), "group": ("Group", "text"),
        "population": ("Residents", "number"), "avg_before_m": ("Avg before (m)", "number"),
        "avg_after_m": ("Avg after (m)", "number"), "avg_change_m": ("Change (m)", "number"),
        "p90_before_m": ("90th pct before (m)", "number"),
        "p90_after_m": ("90th pct after (m)", "number"),
        "share_beyond_before": ("Beyond reach before", "percent"),
        "share_beyond_after": ("Beyond reach after", "percent"),
    }  # fmt: skip
    body = (
        "<p>Before: each zone at its nearest site hosting the service today within reach "
        "(the status quo); after: the plan's assignment in the last period. Averages and "
        "percentiles are weighted by residents. The map shows the change in two-step "
        "floating catchment area accessibility (floor area per 1,000 residents within "
        "reach; blue: better, red: worse). See docs/equity.md.</p>"
    )
    body += "<h3>All residents</h3>" + table_html(_breakdown(acc, "total"), columns)
    if "imd_decile" in acc.zones.columns:
        body += "<h3>By deprivation decile (1 = most deprived)</h3>"
        body += table_html(_breakdown(acc, "imd_decile"), columns)
    body += "<h3>By borough</h3>" + table_html(_breakdown(acc, "borough"), columns)
    body += figure_html(access_change_map(acc), "Change in accessibility", css_class="map")
    return Section("Fair access", body, "fair-access")


def provenance_section(table: pd.DataFrame | None) -> Section | None:
    """The "What is real" section: per site column, how much is public, derived or synthetic.

    ``table`` is :func:`estates_opt.describe.provenance` of the instance's sites (None
    when the sites say nothing about where their figures come from).
    """
    if table is None:
        return None
    frame = table.reset_index()
    body = (
        "<p>Per site column: sites whose value is copied from a published figure "
        "(public), computed from published figures by a written rule (derived), or has "
        "no site-specific public figure (synthetic); shares are of the column total "
        "(of sites for text columns). The rules and sources are in the sample's "
        "<code>data/README.md</code>.</p>"
    )
    body += table_html(frame, {
        "column": ("Column", "text"), "public": ("Public", "number"),
        "derived": ("Derived", "number"), "synthetic": ("Synthetic", "number"),
        "public_share": ("Public share", "percent"), "derived_share": ("Derived share", "percent"),
        "synthetic_share": ("Synthetic share", "percent"),
    })  # fmt: skip
    return Section("What is real", body, "provenance")


def alternatives_sheets(alts: Any) -> dict[str, pd.DataFrame]:
    """Workbook sheets ``alternatives`` (per plan) and ``core and open choices``."""
    return {"alternatives": alts.summary, "core and open choices": alts.table}


def access_sheets(acc: Access) -> dict[str, pd.DataFrame]:
    """Workbook sheets ``fair access`` (breakdowns) and ``access by zone``."""
    zones = pd.DataFrame(acc.zones.drop(columns=acc.zones.geometry.name))
    return {"fair access": acc.groups, "access by zone": zones}
