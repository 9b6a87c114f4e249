"""What a report shows, read from a :class:`~estates_opt.plan.Plan` or from an output folder.

:class:`ReportData` is the one input of every renderer in this package (HTML, Excel,
GeoPackage). It is built either from a plan in memory (:meth:`ReportData.from_plan`) or
from the folder ``estates-opt solve --out`` wrote (:meth:`ReportData.from_folder`:
``summary.json``, the section 6 CSV files, ``cash_flow.csv``, ``disposal_reasons.csv``
and ``plan.gpkg``). Both give the same tables, so a report looks the same either way.

Each site also gets a ``category`` for the map and the GeoPackage (see
:data:`CATEGORIES`): a disposed site is ``dispose``; a site without floor area in the first
period that gains a built project is ``new_build`` (``candidate`` when nothing is built
there); a retained site with a built ``colocation`` project, or serving ``social_care``
together with another service in the last period, is ``colocation``; a retained site
with another built project is ``invest``; any other site is ``retain``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.io.boroughs import london_boroughs
from estates_opt.io.plan_files import read_plan_files

if TYPE_CHECKING:
    from estates_opt.plan import Plan

__all__ = ["CATEGORIES", "ReportData", "load_boroughs"]

CATEGORIES: dict[str, str] = {
    "retain": "Retained",
    "invest": "Retained, reinvested (extension or refurbishment)",
    "colocation": "Co-location hub (health and social care)",
    "new_build": "New build",
    "dispose": "Disposed",
    "candidate": "Candidate location, not used",
}
"""Site category -> label used in the legend and the tables."""


@dataclass(frozen=True, eq=False)
class ReportData:
    """The tables of one solved plan, ready to draw.

    Attributes
    ----------
    name : instance name (the report title).
    summary : the content of ``summary.json`` (status, objective, bound, gap, kpis...).
    sites : one row per site: section 6 columns, ``name``, ``borough``, ``reason``,
        ``category`` and geometry (empty geometry when the folder had no ``plan.gpkg``).
    projects : section 6 ``project_decisions`` columns (plus ``kind`` when known).
    assignments : section 6 ``assignments`` table.
    marriage_pairs : section 6 ``marriage_pairs`` table.
    cash_flow : one row per period (budget, receipts, retained receipts, capex,
        backlog spend, net, cumulative position); empty without a solution.
    zones : zones with ``avg_distance_before_m``, ``avg_distance_after_m`` and
        ``distance_change_m``, or None.
    boroughs : borough outlines (``borough``, polygon geometry) when supplied or packaged
        (London), else None
        (the map then approximates them, see :func:`estates_opt.report.maps.approximate_boroughs`).
    periods : number of planning periods.
    """

    name: str
    summary: dict[str, Any]
    sites: gpd.GeoDataFrame
    projects: pd.DataFrame
    assignments: pd.DataFrame
    marriage_pairs: pd.DataFrame
    cash_flow: pd.DataFrame
    periods: int
    zones: gpd.GeoDataFrame | None = None
    boroughs: gpd.GeoDataFrame | None = None
    source: str = field(default="plan")

    @property
    def status(self) -> str:
        """``optimal``, ``feasible``, ``infeasible`` or ``no_solution``."""
        return str(self.summary.get("status", ""))

    @property
    def has_solution(self) -> bool:
        """True when the plan carries decisions."""
        return self.status in ("optimal", "feasible")

    @property
    def kpis(self) -> dict[str, Any]:
        """``summary.json`` key performance indicators."""
        return dict(self.summary.get("kpis") or {})

    @property
    def disposals(self) -> pd.DataFrame:
        """Disposed sites, by period then site id."""
        sites = self.sites[self.sites["decision"] == "dispose"]
        return sites.sort_values(["dispose_period", "site_id"])

    @property
    def built_projects(self) -> pd.DataFrame:
        """Projects with a start period, by start period then project id."""
        if self.projects.empty or "start_period" not in self.projects:
            return self.projects
        built = self.projects[self.projects["start_period"].notna()]
        return built.sort_values(["start_period", "project_id"])

    @classmethod
    def from_plan(
        cls, plan: Plan, *, boroughs: gpd.GeoDataFrame | str | os.PathLike[str] | None = None
    ) -> ReportData:
        """The report tables of a plan in memory.

        Parameters
        ----------
        plan : a solved (or diagnosed) plan.
        boroughs : borough outlines (a GeoDataFrame or a vector file), optional.
        """
        summary = json.loads(json.dumps(plan.summary(), default=_json_default))
        sites = gpd.GeoDataFrame(plan.sites.copy(), geometry="geometry", crs=plan.sites.crs)
        return cls._finish(
            name=plan.instance_name,
            summary=summary,
            sites=sites,
            projects=plan.projects.copy(),
            assignments=plan.assignments.copy(),
            marriage_pairs=plan.marriage_pairs.copy(),
            cash_flow=plan.cash_flow.copy(),
            periods=plan.periods,
            zones=None if plan.zones is None else plan.zones.copy(),
            boroughs=load_boroughs(boroughs),
            source="plan",
        )

    @classmethod
    def from_folder(
        cls,
        path: str | os.PathLike[str],
        *,
        boroughs: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    ) -> ReportData:
        """The report tables of an ``estates-opt solve`` output folder.

        Reads ``summary.json`` and the section 6 CSV files (required), and
        ``cash_flow.csv``, ``disposal_reasons.csv`` and ``plan.gpkg`` (layers
        ``sites``, ``zones`` and, when present, ``boroughs``) where they exist.

        Raises
        ------
        InputError
            A required file is missing or unreadable.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(Problem(str(folder), "expected an output folder, found none."))
        files = read_plan_files(folder)
        sites = files.site_decisions.copy()
        periods = len([c for c in sites.columns if c.startswith("utilisation_p")])
        layers = _gpkg_layers(folder / "plan.gpkg")
        if "sites" in layers:
            geo = gpd.read_file(folder / "plan.gpkg", layer="sites")
            extra = [c for c in ("name", "borough", "reason") if c in geo.columns]
            geo = geo[["site_id", *extra, "geometry"]].astype({"site_id": str})
            sites = geo.merge(sites, on="site_id", how="right")
            sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=geo.crs)
        else:
            sites = gpd.GeoDataFrame(sites, geometry=gpd.GeoSeries([None] * len(sites)))
        reasons_file = folder / "disposal_reasons.csv"
        if reasons_file.exists():
            reasons = pd.read_csv(reasons_file, dtype=str, keep_default_na=False)
            mapping = dict(zip(reasons["site_id"], reasons["reason"], strict=True))
            sites["reason"] = sites["site_id"].map(mapping).fillna("")
        cash_file = folder / "cash_flow.csv"
        cash = pd.read_csv(cash_file) if cash_file.exists() else pd.DataFrame()
        if not periods:
            periods = len(cash)
        zones = None
        if "zones" in layers:
            zones = gpd.read_file(folder / "plan.gpkg", layer="zones")
        if boroughs is None and "boroughs" in layers:
            boroughs = gpd.read_file(folder / "plan.gpkg", layer="boroughs")
        return cls._finish(
            name=str(files.summary.get("instance") or folder.resolve().name),
            summary=files.summary,
            sites=sites,
            projects=files.project_decisions,
            assignments=files.assignments,
            marriage_pairs=files.marriage_pairs,
            cash_flow=cash,
            periods=periods,
            zones=zones,
            boroughs=load_boroughs(boroughs),
            source=str(folder),
        )

    @classmethod
    def load(
        cls,
        plan_or_folder: Plan | ReportData | str | os.PathLike[str],
        *,
        boroughs: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    ) -> ReportData:
        """A :class:`ReportData` from a plan, an output folder, or itself."""
        if isinstance(plan_or_folder, ReportData):
            if boroughs is None:
                return plan_or_folder
            return cls._finish(**{**plan_or_folder.__dict__, "boroughs": load_boroughs(boroughs)})
        if isinstance(plan_or_folder, str | os.PathLike):
            return cls.from_folder(plan_or_folder, boroughs=boroughs)
        return cls.from_plan(plan_or_folder, boroughs=boroughs)

    @classmethod
    def _finish(cls, **parts: Any) -> ReportData:
        sites = parts["sites"]
        for column, default in (("name", ""), ("borough", ""), ("reason", "")):
            if column not in sites.columns:
                sites[column] = default
            sites[column] = sites[column].astype(object).where(sites[column].notna(), "")
            sites[column] = sites[column].astype(str)
        sites["site_id"] = sites["site_id"].astype(str)
        sites["category"] = _categories(
            sites, parts["projects"], parts["assignments"], parts["periods"]
        )
        parts["boroughs"] = _relevant(parts.get("boroughs"), sites, parts.get("zones"))
        return cls(**parts)


def load_boroughs(
    boroughs: gpd.GeoDataFrame | str | os.PathLike[str] | None,
) -> gpd.GeoDataFrame | None:
    """Borough outlines as a GeoDataFrame with a ``borough`` column, in EPSG:27700.

    Accepts a GeoDataFrame or a vector file (GeoPackage, GeoJSON, shapefile), or an
    instance folder holding ``boroughs.gpkg``. The borough column is the first of
    ``borough``, ``LAD22CD``, ``code``, ``name`` that exists; a ``borough_name`` column
    is taken from ``LAD22NM`` or ``name`` when present.
    """
    if boroughs is None:
        return None
    if isinstance(boroughs, str | os.PathLike):
        path = Path(boroughs)
        if path.is_dir():
            path = path / "boroughs.gpkg"
        if not path.exists():
            raise InputError(Problem(str(path), "borough outlines file not found."))
        boroughs = gpd.read_file(path)
    assert isinstance(boroughs, gpd.GeoDataFrame)
    frame = boroughs.copy()
    key = next((c for c in ("borough", "LAD22CD", "code", "name") if c in frame.columns), None)
    if key is None:
        raise InputError(
            Problem("boroughs", "expected a column 'borough' (or LAD22CD, code, name), got none.")
        )
    frame["borough"] = frame[key].astype(str)
    label = next((c for c in ("borough_name", "LAD22NM", "name") if c in frame.columns), "borough")
    frame["borough_name"] = frame[label].astype(str)
    if frame.crs is not None and frame.crs.to_epsg() != 27700:
        frame = frame.to_crs(27700)
    return gpd.GeoDataFrame(frame[["borough", "borough_name", "geometry"]], geometry="geometry")


def _relevant(
    boroughs: gpd.GeoDataFrame | None, sites: pd.DataFrame, zones: pd.DataFrame | None
) -> gpd.GeoDataFrame | None:
    """The outlines of the boroughs the plan's sites or zones name (all when none match).

    Without outlines from the caller, the packaged London boroughs that the plan names
    (by ONS code or name); None when it names none of them (the map approximates).
    """
    named = set(sites["borough"].astype(str))
    if zones is not None and "borough" in zones:
        named |= set(zones["borough"].astype(str))
    packaged = boroughs is None
    if boroughs is None:
        london = london_boroughs().rename(columns={"code": "borough", "name": "borough_name"})
        boroughs = gpd.GeoDataFrame(london, geometry="geometry")
    chosen = boroughs[boroughs["borough"].isin(named) | boroughs["borough_name"].isin(named)]
    if len(chosen):
        return chosen
    return None if packaged else boroughs


def _categories(
    sites: pd.DataFrame, projects: pd.DataFrame, assignments: pd.DataFrame, periods: int
) -> np.ndarray:
    """The map category of every site (see the module docstring)."""
    n = len(sites)
    category = np.full(n, "retain", dtype=object)
    if n == 0 or "decision" not in sites or sites["decision"].isna().all():
        return category
    utilisation = [f"utilisation_p{t}" for t in range(1, periods + 1)]
    present = [c for c in utilisation if c in sites.columns]
    # utilisation is blank exactly where a site has no floor area in that period
    no_space = sites[present[0]].isna().to_numpy() if present else np.zeros(n, dtype=bool)
    built_kinds: Mapping[str, set[str]] = {}
    if not projects.empty and "start_period" in projects:
        built = projects[projects["start_period"].notna()]
        kinds = built["kind"] if "kind" in built else pd.Series("", index=built.index)
        built_kinds = kinds.astype(str).groupby(built["site_id"].astype(str)).agg(set).to_dict()
    colocated: set[str] = set()
    if not assignments.empty and periods:
        last = assignments[assignments["period"] == periods]
        services = last.groupby(last["site_id"].astype(str))["service"].agg(set)
        colocated = {s for s, k in services.items() if len(k) > 1 and "social_care" in k}
    for i, (site, decision) in enumerate(zip(sites["site_id"], sites["decision"], strict=True)):
        kinds = built_kinds.get(str(site), set())
        if decision == "dispose":
            category[i] = "dispose"
        elif no_space[i] or "new_build" in kinds:
            category[i] = "new_build" if kinds else "candidate"
        elif "colocation" in kinds or site in colocated:
            category[i] = "colocation"
        elif kinds:
            category[i] = "invest"
    return category


def _gpkg_layers(path: Path) -> list[str]:
    if not path.exists():
        return []
    import pyogrio

    return [str(name) for name in pyogrio.list_layers(path)[:, 0]]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and not np.isfinite(value):
            return None
        return value
    if value is pd.NA:
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
