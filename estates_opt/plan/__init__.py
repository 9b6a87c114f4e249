"""The result of a solve: status, NPV, proof of quality, KPIs and decision tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import geopandas as gpd
import pandas as pd

from estates_opt.errors import EstatesOptError
from estates_opt.status import Status

__all__ = ["SECTION6_COLUMNS", "Kpis", "Plan", "PlanStatusError", "total_seconds"]

SECTION6_COLUMNS = {
    "project_decisions": ["project_id", "site_id", "start_period", "ready_period", "capex"],
    "assignments": ["zone_id", "site_id", "service", "period", "share"],
    "marriage_pairs": ["site_a", "site_b", "period", "value_uplift", "housing_uplift"],
}


class PlanStatusError(EstatesOptError):
    """Raised by :meth:`Plan.raise_for_status` when a plan has no usable solution."""


def _money(value: float | None) -> str:
    return "-" if value is None else f"£{value:,.0f}"


BESIDE_THE_SOLVE = frozenset({"search_s"})
"""Timings of work that ran in parallel with ``solve_s`` (not added to the total)."""


def total_seconds(timings: Mapping[str, object]) -> float:
    """Wall-clock seconds of a solve: its timings, less those that ran beside the solver."""
    return sum(
        float(value)
        for key, value in timings.items()
        if key not in BESIDE_THE_SOLVE and isinstance(value, int | float)
    )


class Kpis(TypedDict, total=False):
    """The key figures of a plan (``summary.json`` ``kpis``; MODEL.md section 6 names the
    first of them). Money in GBP, areas in m2; a plan without decisions has none."""

    receipts: float
    receipts_target: float
    housing_units: float
    housing_target: float
    sites_disposed: int
    floor_area_released_m2: float
    projects_built: int
    capex: float
    running_cost_saving_per_year: float
    backlog_avoided: float
    marriage_pairs: int
    utilisation_before: float | None
    utilisation_after: float | None
    cash_position: list[float]
    colocated_hubs: int
    travel_first_period: dict[str, dict[str, float]]
    travel_last_period: dict[str, dict[str, float]]


@dataclass(frozen=True, eq=False)
class Plan:
    """A solved (or diagnosed) plan.

    ``sites`` is a GeoDataFrame with the MODEL.md section 6 ``site_decisions`` columns
    plus ``name``, ``borough``, ``reason`` and geometry; ``projects``, ``assignments`` and
    ``marriage_pairs`` hold the section 6 tables; ``cash_flow`` one row per period;
    ``shortfalls`` the diagnosis of an infeasible instance; ``zones`` the zones with
    their demand-weighted average travel distance in the first and last period.
    """

    status: Status
    objective: float | None
    best_bound: float | None
    mip_gap: float | None
    solver: str
    timings: dict[str, float]
    kpis: Kpis
    sites: gpd.GeoDataFrame
    projects: pd.DataFrame
    assignments: pd.DataFrame
    marriage_pairs: pd.DataFrame
    cash_flow: pd.DataFrame
    periods: int
    instance_name: str = "instance"
    message: str = ""
    model_size: dict[str, int] = field(default_factory=dict)
    shortfalls: pd.DataFrame | None = None
    zones: gpd.GeoDataFrame | None = None

    @property
    def site_decisions(self) -> pd.DataFrame:
        """``site_decisions.csv`` columns of MODEL.md section 6."""
        utilisation = [f"utilisation_p{t}" for t in range(1, self.periods + 1)]
        columns = ["site_id", "decision", "dispose_period", "receipt", "housing_units"]
        return pd.DataFrame(self.sites[columns + utilisation])

    @property
    def project_decisions(self) -> pd.DataFrame:
        """``project_decisions.csv`` columns of MODEL.md section 6."""
        return self.projects[SECTION6_COLUMNS["project_decisions"]]

    @property
    def disposals(self) -> gpd.GeoDataFrame:
        """The disposed sites with period, receipt, homes and one-line reason."""
        return self.sites[self.sites["decision"] == "dispose"]

    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        out: dict[str, Any] = {
            "instance": self.instance_name,
            "status": self.status.value,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "mip_gap": self.mip_gap,
            "solver": self.solver,
            "timings": dict(self.timings),
            "model_size": dict(self.model_size),
            "kpis": self.kpis,
        }
        if self.message:
            out["message"] = self.message
        if self.shortfalls is not None:
            out["shortfalls"] = self.shortfalls.to_dict(orient="records")
        return out

    def raise_for_status(self) -> Plan:
        """Return the plan if it has a solution, else raise :class:`PlanStatusError`."""
        if not self.status.has_solution:
            raise PlanStatusError(f"plan status is {self.status.value}: {self.message}")
        return self

    def to_html(self, path: str | Path) -> Path:
        """Write the self-contained HTML report (maps, charts, tables) to ``path``."""
        from estates_opt.report import write_html

        return write_html(self, path)

    def plot(self, ax: Any = None) -> Any:
        """Draw the report's estate map on matplotlib ``ax`` (new axes when None).

        Needs the ``report`` extra; returns the axes.
        """
        from estates_opt.report import plot_plan

        return plot_plan(self, ax)

    def explore(self, **kwargs: Any) -> Any:
        """An interactive map (folium, through geopandas' ``explore``) of the sites by decision.

        Needs the ``maps`` extra; ``kwargs`` go to :meth:`geopandas.GeoDataFrame.explore`.
        """
        from estates_opt.report import explore_plan

        return explore_plan(self, **kwargs)

    def _repr_html_(self) -> str:
        """The plan in a notebook: status, NPV, KPIs against targets, the top decisions."""
        from estates_opt.plan.view import plan_html

        return plan_html(self)

    def __repr__(self) -> str:
        gap = "-" if self.mip_gap is None else f"{self.mip_gap:.4%}"
        seconds = total_seconds(self.timings)
        return "\n".join(
            [
                f"Plan for {self.instance_name!r}",
                f"  status     {self.status.value}",
                f"  objective  {_money(self.objective)} NPV",
                f"  bound      {_money(self.best_bound)}",
                f"  gap        {gap}",
                f"  solver     {self.solver}",
                f"  time       {seconds:.2f} s",
            ]
        )
