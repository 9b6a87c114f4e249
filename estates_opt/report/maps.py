"""The estate map: sites by decision over borough outlines, zones shaded by travel change.

Borough outlines come from the caller (an instance's ``boroughs.gpkg``, a ``boroughs``
layer in ``plan.gpkg``, or ``--boroughs``), else from the packaged London boundaries
(:mod:`estates_opt.io.boroughs`) when the plan's boroughs are London's. Otherwise the
map *approximates* them:
each zone point (or each site, when there are no zones) gets its Voronoi cell, the cells
are clipped to the convex hull of all points buffered by :data:`HULL_BUFFER_M` and
dissolved by borough. The approximation follows zone centroids, not legal boundaries;
the map says so in its caption.
"""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from estates_opt.io.boroughs import borough_names
from estates_opt.report.data import CATEGORIES, ReportData

__all__ = [
    "HULL_BUFFER_M",
    "approximate_boroughs",
    "estate_extent",
    "estate_map",
    "figure_bytes",
    "figure_png",
    "point_xy",
    "zone_cells",
]

HULL_BUFFER_M = 1_000.0
"""Buffer (m) around the convex hull of the points when outlines are approximated."""

STYLE: dict[str, dict[str, Any]] = {
    "retain": {"marker": "o", "color": "#4a4a4a", "s": 14},
    "invest": {"marker": "s", "color": "#1f77b4", "s": 40},
    "colocation": {"marker": "D", "color": "#17becf", "s": 44},
    "new_build": {"marker": "*", "color": "#2ca02c", "s": 150},
    "candidate": {"marker": "o", "color": "#bbbbbb", "s": 8},
}
"""Marker per site category; disposals use :func:`_dispose_colours` by period."""


def point_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """``(n, 2)`` coordinates of each point, or of a polygon's representative point."""
    geometry = frame.geometry
    points = geometry.where(geometry.geom_type == "Point", geometry.representative_point())
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _seeds(data: ReportData) -> gpd.GeoDataFrame | None:
    """Points with a borough to tessellate: zones, else sites; None without geometry."""
    for frame in (data.zones, data.sites):
        if frame is None or frame.empty or "borough" not in frame.columns:
            continue
        if frame.geometry.isna().all() or frame.geometry.is_empty.all():
            continue
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        xy = point_xy(frame)
        return gpd.GeoDataFrame(
            {"borough": frame["borough"].astype(str).to_numpy()},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs=frame.crs,
        )
    return None


def estate_extent(data: ReportData) -> shapely.Geometry | None:
    """Buffered convex hull of every zone and site point."""
    parts = []
    for frame in (data.zones, data.sites):
        if frame is not None and not frame.empty and not frame.geometry.isna().all():
            frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
            parts.append(point_xy(frame))
    if not parts:
        return None
    xy = np.vstack(parts)
    return shapely.convex_hull(shapely.multipoints(xy)).buffer(HULL_BUFFER_M)


def zone_cells(points: gpd.GeoDataFrame, extent: shapely.Geometry) -> gpd.GeoDataFrame:
    """Voronoi cell of every point, clipped to ``extent``; same rows and columns as ``points``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame({"borough": ["a", "b"]},
    ...                        geometry=gpd.points_from_xy([0, 10], [0, 0]))
    >>> cells = zone_cells(pts, shapely.box(-5, -5, 15, 5))
    >>> [round(a) for a in cells.area]
    [100, 100]
    """
    unique = points.geometry.drop_duplicates()
    if len(unique) < 2:
        geometry = [extent] * len(points)
    else:
        regions = shapely.voronoi_polygons(
            shapely.multipoints(shapely.get_coordinates(unique.to_numpy())), extend_to=extent
        )
        cells = gpd.GeoDataFrame(geometry=list(shapely.get_parts(regions)), crs=points.crs)
        joined = gpd.sjoin(
            points.reset_index(names="_row"), cells, how="left", predicate="within"
        ).drop_duplicates("_row")
        index = joined["index_right"].to_numpy()
        geometry = [
            shapely.intersection(cells.geometry.iloc[int(i)], extent) if i == i else None
            for i in index
        ]
    return gpd.GeoDataFrame(points.drop(columns="geometry"), geometry=geometry, crs=points.crs)


def approximate_boroughs(data: ReportData) -> gpd.GeoDataFrame | None:
    """Borough outlines approximated from the Voronoi cells of the zone (or site) points.

    Returns None when the plan carries no geometry.
    """
    seeds, extent = _seeds(data), estate_extent(data)
    if seeds is None or extent is None:
        return None
    cells = zone_cells(seeds, extent)
    outlines = cells.dissolve(by="borough", as_index=False)
    outlines["borough_name"] = outlines["borough"].map(borough_names()).fillna(outlines["borough"])
    return outlines[["borough", "borough_name", "geometry"]]


def _dispose_colours(periods: int) -> list[tuple[float, float, float, float]]:
    cmap = matplotlib.colormaps["plasma"]
    return [cmap(0.88 * i / max(periods - 1, 1)) for i in range(periods)]


def estate_map(
    data: ReportData, *, width_in: float = 11.0, ax: Axes | None = None
) -> tuple[Figure, bool]:
    """Draw the estate map; returns the figure and whether outlines were approximated.

    Zones are their Voronoi cells (clipped to the outlines' extent) shaded by the change
    in demand-weighted average travel distance from period 1 to the last period (blue:
    shorter, red: longer). Sites are markers by category; disposals are coloured by
    their period. Draws on ``ax`` when given (a notebook's axes), else on a new figure.
    """
    approximated = data.boroughs is None
    boroughs = approximate_boroughs(data) if approximated else data.boroughs
    sites = data.sites[data.sites.geometry.notna() & ~data.sites.geometry.is_empty]
    if ax is None:
        fig = Figure(figsize=(width_in, width_in * 0.82), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    ax.set_aspect("equal")
    ax.set_axis_off()
    extent = estate_extent(data)
    zones = data.zones
    if zones is not None and "distance_change_m" in zones and extent is not None:
        clip = extent if boroughs is None else boroughs.union_all().buffer(0)
        if clip.is_empty:
            clip = extent
        cells = zone_cells(zones[["distance_change_m", "geometry"]].copy(), clip)
        change = cells["distance_change_m"].astype(float)
        finite = change[np.isfinite(change)]
        bound = max(float(np.abs(finite).max()) if len(finite) else 0.0, 1.0)
        norm = TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound)
        shapes = np.asarray(cells.geometry.values)
        cells = cells[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))]
        cells.plot(
            ax=ax, column="distance_change_m", cmap="RdBu_r", norm=norm, alpha=0.55,
            edgecolor="white", linewidth=0.3,
            missing_kwds={"color": "#eeeeee", "edgecolor": "white", "linewidth": 0.3},
        )  # fmt: skip
        mappable = ScalarMappable(norm=norm, cmap="RdBu_r")
        bar = fig.colorbar(mappable, ax=ax, shrink=0.5, pad=0.01, alpha=0.55)
        bar.set_label("change in average travel distance, period 1 to last (m)")
    if boroughs is not None and not boroughs.empty:
        boroughs.boundary.plot(ax=ax, color="#333333", linewidth=1.1)
        for _, row in boroughs.iterrows():
            if row.geometry is None or row.geometry.is_empty:
                continue
            point = row.geometry.representative_point()
            ax.text(
                point.x, point.y, str(row["borough_name"]), ha="center", va="center",
                fontsize=8, color="#222222", alpha=0.75, parse_math=False,
                bbox={"facecolor": "white", "alpha": 0.55, "edgecolor": "none", "pad": 1},
            )  # fmt: skip
    handles: list[Line2D] = []
    for category, style in STYLE.items():
        chosen = sites[sites["category"] == category]
        if chosen.empty:
            continue
        xy = point_xy(chosen)
        ax.scatter(
            xy[:, 0], xy[:, 1], marker=style["marker"], c=style["color"], s=style["s"],
            edgecolors="white", linewidths=0.4, zorder=3,
        )  # fmt: skip
        handles.append(_handle(style, f"{CATEGORIES[category]} ({len(chosen)})"))
    disposed = sites[sites["category"] == "dispose"]
    colours = _dispose_colours(max(data.periods, 1))
    for period, group in disposed.groupby("dispose_period"):
        colour = colours[min(int(period), len(colours)) - 1]
        xy = point_xy(group)
        ax.scatter(
            xy[:, 0], xy[:, 1], marker="X", color=colour, s=70, edgecolors="black",
            linewidths=0.5, zorder=4,
        )  # fmt: skip
        style = {"marker": "X", "color": colour, "s": 70}
        handles.append(_handle(style, f"Disposed in period {int(period)} ({len(group)})"))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
                  fontsize=9, frameon=False, title="Sites", title_fontsize=10)  # fmt: skip
    if sites.empty and boroughs is None:
        ax.text(0.5, 0.5, "This plan carries no site locations.", ha="center",
                transform=ax.transAxes)  # fmt: skip
    return fig, approximated


def _handle(style: dict[str, Any], label: str) -> Line2D:
    size = float(style["s"]) ** 0.5
    return Line2D(
        [], [], linestyle="none", marker=style["marker"], markersize=size,
        markerfacecolor=style["color"], markeredgecolor="white", label=label,
    )  # fmt: skip


def figure_png(fig: Figure, *, dpi: int = 110) -> bytes:
    """PNG bytes of a figure (drawn by its own Agg canvas; pyplot is never involved)."""
    return figure_bytes(fig, "png", dpi=dpi)


def figure_bytes(fig: Figure, fmt: str, *, dpi: int = 110) -> bytes:
    """The figure as ``png`` or ``svg`` bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white")
    return buffer.getvalue()
