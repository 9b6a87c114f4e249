"""A plan in a notebook: the estate map on the notebook's axes, or an interactive map.

:meth:`estates_opt.Plan.plot` and :meth:`estates_opt.Plan.explore` call these. Neither
changes matplotlib's backend: :func:`plot_plan` draws on the axes it is given (or on
new pyplot axes, like pandas' ``plot``), and :func:`explore_plan` draws with folium
through geopandas' ``explore`` (the ``maps`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd

from estates_opt.report.data import CATEGORIES, ReportData
from estates_opt.report.maps import estate_map

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from estates_opt.plan import Plan

__all__ = ["explore_plan", "plot_plan"]

COLOURS = {
    "retain": "#4a4a4a",
    "invest": "#1f77b4",
    "colocation": "#17becf",
    "new_build": "#2ca02c",
    "candidate": "#bbbbbb",
    "dispose": "#d62728",
}
"""Marker colour of each site category on the interactive map."""


def plot_plan(plan: Plan, ax: Axes | None = None) -> Axes:
    """Draw the report's estate map on ``ax`` (new pyplot axes when None); returns the axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(10, 8.2), layout="constrained")
    estate_map(ReportData.from_plan(plan), ax=ax)
    return ax


def explore_plan(plan: Plan, **kwargs: Any) -> Any:
    """An interactive folium map: sites by decision (with their reasons), borough outlines.

    Parameters
    ----------
    plan
        A solved plan.
    **kwargs
        Passed to :meth:`geopandas.GeoDataFrame.explore` for the sites layer
        (``tiles``, ``width``, ...).

    Returns
    -------
    folium.Map

    Raises
    ------
    ImportError
        folium or mapclassify is not installed (``pip install 'estates_opt[maps]'``).
    """
    try:
        import folium
        import mapclassify  # noqa: F401  (geopandas' explore needs it)
    except ImportError as err:
        raise ImportError(
            "Plan.explore() draws with folium and mapclassify; install them with "
            "pip install 'estates_opt[maps]'."
        ) from err
    data = ReportData.from_plan(plan)
    sites = data.sites[data.sites.geometry.notna() & ~data.sites.geometry.is_empty].copy()
    sites["category"] = sites["category"].map(CATEGORIES).fillna(sites["category"])
    names = {label: COLOURS.get(key, "#888888") for key, label in CATEGORIES.items()}
    shown = [c for c in ("site_id", "name", "borough", "category", "dispose_period", "reason")
             if c in sites.columns]  # fmt: skip
    fmap = folium.Map(tiles=kwargs.pop("tiles", "OpenStreetMap"), control_scale=True)
    if data.boroughs is not None and not data.boroughs.empty:
        gpd.GeoDataFrame(data.boroughs).explore(
            m=fmap, name="Boroughs", tooltip="borough_name", style_kwds={
                "fill": False, "color": "#333333", "weight": 1.5,
            },
        )  # fmt: skip
    sites[[*shown, "geometry"]].explore(
        m=fmap, name="Sites", column="category", tooltip=shown,
        cmap=[names[c] for c in sorted(set(sites["category"]) & set(names))] or None,
        marker_kwds={"radius": 6}, **kwargs,
    )  # fmt: skip
    folium.LayerControl().add_to(fmap)
    fmap.fit_bounds(_bounds(sites))
    return fmap


def _bounds(frame: gpd.GeoDataFrame) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of a frame, for folium."""
    west, south, east, north = frame.to_crs(4326).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]
