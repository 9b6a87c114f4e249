"""Read a plan folder back into a :class:`~estates_opt.Plan`: the inverse of
:func:`~estates_opt.io.plan_write.write_plan`.

The section 6 files give the decisions (:func:`~estates_opt.io.plan_files.read_plan_files`
checks them); ``plan.gpkg`` gives the sites and zones with their geometry, names and
one-line reasons where the solve wrote it; ``cash_flow.csv`` and ``shortfalls.csv`` are
read when present. A folder written by another tool (only the section 6 files) gives a
plan whose sites carry no geometry.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import pandas as pd

from estates_opt.io.plan_files import read_plan_files
from estates_opt.plan import Kpis, Plan
from estates_opt.status import Status

__all__ = ["read_plan"]

_INT_COLUMNS = {
    "sites": ["dispose_period"],
    "projects": ["start_period", "ready_period"],
}


def _layer(folder: Path, layer: str) -> gpd.GeoDataFrame | None:
    path = folder / "plan.gpkg"
    if not path.exists():
        return None
    try:
        frame = gpd.read_file(path, layer=layer)
    except (ValueError, OSError):  # the layer is absent (a plan without zones)
        return None
    return frame if isinstance(frame, gpd.GeoDataFrame) else None


def _optional_csv(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    return pd.read_csv(path, encoding="utf-8") if path.exists() else None


def _integers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """The plan a folder holds (written by ``estates-opt solve`` or :func:`write_plan`).

    Raises
    ------
    InputError
        A section 6 file is missing or malformed, or ``summary.json`` breaks its rules
        (naming the file, row and column or key).

    Examples
    --------
    >>> plan = read_plan("out/ncl_pilot")  # doctest: +SKIP
    >>> plan.status, plan.kpis["receipts"]  # doctest: +SKIP
    """
    folder = Path(path)
    files = read_plan_files(folder)
    summary: dict[str, Any] = files.summary
    decisions = files.site_decisions
    sites = _layer(folder, "sites")
    if sites is None:
        sites = gpd.GeoDataFrame(decisions, geometry=gpd.GeoSeries([None] * len(decisions)))
    utilisation = [c for c in decisions.columns if c.startswith("utilisation_p")]
    cash = _optional_csv(folder, "cash_flow.csv")
    periods = len(utilisation) or (0 if cash is None else len(cash))
    return Plan(
        status=Status(summary["status"]),
        objective=summary.get("objective"),
        best_bound=summary.get("best_bound"),
        mip_gap=summary.get("mip_gap"),
        solver=str(summary.get("solver", "")),
        timings=dict(summary.get("timings", {})),
        kpis=cast(Kpis, dict(summary.get("kpis", {}))),
        sites=cast(gpd.GeoDataFrame, _integers(sites, _INT_COLUMNS["sites"])),
        projects=_integers(files.project_decisions, _INT_COLUMNS["projects"]),
        assignments=files.assignments,
        marriage_pairs=files.marriage_pairs,
        cash_flow=pd.DataFrame() if cash is None else cash,
        periods=periods,
        instance_name=str(summary.get("instance", folder.name)),
        message=str(summary.get("message", "")),
        model_size=dict(summary.get("model_size", {})),
        shortfalls=_optional_csv(folder, "shortfalls.csv"),
        zones=_layer(folder, "zones"),
    )
