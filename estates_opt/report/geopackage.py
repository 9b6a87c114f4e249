"""A GeoPackage of the plan for QGIS: sites by decision, zones, boroughs, assignment lines.

Layers (EPSG:27700):

- ``sites``: every site with ``decision``, ``category`` (see
  :data:`estates_opt.report.data.CATEGORIES`), ``category_label``, ``dispose_period``,
  receipt, homes, utilisation per period and the one-line ``reason``;
- ``zones``: zone points with ``avg_distance_before_m``, ``avg_distance_after_m`` and
  ``distance_change_m`` (when the plan has them);
- ``zone_cells``: the zones' Voronoi cells with the same columns, for shading;
- ``boroughs``: the outlines supplied, or approximated (``approximate`` = 1);
- ``assignments_last_period``: one line per zone, service and site in the last period,
  zone point to site point, with ``share`` and ``distance_m`` (``assignment_lines=False``
  leaves it out).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from estates_opt.io.atomic import atomic_path
from estates_opt.io.output_guard import GENERATOR
from estates_opt.report.data import CATEGORIES, ReportData
from estates_opt.report.maps import (
    approximate_boroughs,
    estate_extent,
    point_xy,
    zone_cells,
)

if TYPE_CHECKING:
    from estates_opt.plan import Plan

__all__ = ["assignment_lines", "write_geopackage"]


def assignment_lines(data: ReportData, period: int | None = None) -> gpd.GeoDataFrame | None:
    """Lines from each zone to the sites serving it in ``period`` (default: the last).

    None when the plan has no zones, no site geometry or no assignments.
    """
    period = data.periods if period is None else period
    zones, sites, a = data.zones, data.sites, data.assignments
    if zones is None or zones.empty or a.empty or sites.geometry.isna().all():
        return None
    rows = a[a["period"] == period].copy()
    zone_xy = pd.DataFrame(
        point_xy(zones), columns=["zx", "zy"], index=zones["zone_id"].astype(str)
    )
    located = sites[sites.geometry.notna()]
    site_xy = pd.DataFrame(
        point_xy(located), columns=["sx", "sy"], index=located["site_id"].astype(str)
    )
    rows["zone_id"] = rows["zone_id"].astype(str)
    rows["site_id"] = rows["site_id"].astype(str)
    rows = rows.merge(zone_xy, left_on="zone_id", right_index=True)
    rows = rows.merge(site_xy, left_on="site_id", right_index=True)
    coords = np.stack(
        [rows[["zx", "zy"]].to_numpy(), rows[["sx", "sy"]].to_numpy()], axis=1
    ).astype(float)
    lines = shapely.linestrings(coords) if len(rows) else []
    keep = [
        c for c in ("zone_id", "site_id", "service", "period", "share", "distance_m") if c in rows
    ]
    return gpd.GeoDataFrame(rows[keep].reset_index(drop=True), geometry=list(lines), crs=sites.crs)


def _for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nullable integers as floats so every GDAL version writes them."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.Int64Dtype):
            frame[column] = frame[column].astype("float64")
    return frame


def write_geopackage(
    plan_or_folder: Plan | ReportData | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    boroughs: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    include_assignment_lines: bool = True,
) -> Path:
    """Write the plan's layers (see the module docstring) to the GeoPackage ``path``.

    The file is built beside ``path`` and renamed into place; an existing file is replaced.

    Examples
    --------
    >>> write_geopackage("out/ncl", "out/ncl/board.gpkg")  # doctest: +SKIP
    PosixPath('out/ncl/board.gpkg')
    """
    data = ReportData.load(plan_or_folder, boroughs=boroughs)
    layers: dict[str, gpd.GeoDataFrame] = {}
    sites = data.sites[data.sites.geometry.notna()].copy()
    if len(sites):
        sites["category_label"] = sites["category"].map(CATEGORIES)
        layers["sites"] = sites
    if data.zones is not None and len(data.zones):
        layers["zones"] = data.zones
        extent = estate_extent(data)
        if extent is not None:
            clip = extent if data.boroughs is None else data.boroughs.union_all()
            cells = zone_cells(data.zones, clip)
            layers["zone_cells"] = cells[cells.geometry.notna()]
    outlines = data.boroughs
    approximate = outlines is None
    if approximate:
        outlines = approximate_boroughs(data)
    if outlines is not None and len(outlines):
        layers["boroughs"] = outlines.assign(approximate=int(approximate))
    if include_assignment_lines:
        lines = assignment_lines(data)
        if lines is not None and len(lines):
            layers["assignments_last_period"] = lines
    target = Path(path)
    if not layers:
        layers["empty"] = gpd.GeoDataFrame(
            {"note": ["no geometry in this plan"]}, geometry=[None], crs=27700
        )
    mark = {"dataset_metadata": {"generator": GENERATOR}}  # how 'report' knows its own file
    with atomic_path(target) as tmp:
        for name, frame in layers.items():
            frame = _for_gpkg(frame)
            if frame.crs is None:
                frame = frame.set_crs(27700)
            frame.to_file(tmp, layer=name, driver="GPKG", **mark)
            mark = {}
    return target
