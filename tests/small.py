"""Tiny instances built in code, whose optimum a test's comment works out by hand.

Defaults keep the arithmetic clean: one service ``gp`` (100 m2 per 1000 residents, so a
zone of 1,000 residents needs 100 m2), no discounting, one-year periods, ``U_max = 1``,
no budget, no marriage value, sites 10 km apart (never a marriage pair) and a zone
1,000 residents. A test names only what it changes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

import estates_opt as eo

GP = eo.Service(space_per_1000=100.0, max_distance_m=50_000.0, travel_cost_per_person_km=1.0)

_SITE = {
    "name": "",
    "borough": "B1",
    "owner": "",
    "y": 0.0,
    "capacity_m2": 0.0,
    "running_cost": 0.0,
    "backlog_cost": 0.0,
    "market_value": 0.0,
    "housing_units": 0.0,
    "disposable": True,
    "earliest_disposal": 1,
    "services": "gp",
}
_ZONE = {"borough": "B1", "x": 0.0, "y": 0.0, "population": 1000.0}
_PROJECT = {
    "kind": "extend",
    "capex": 0.0,
    "added_capacity_m2": 0.0,
    "services": "gp",
    "running_cost_delta": 0.0,
    "build_periods": 0,
    "earliest_start": 1,
    "exclusive_group": "",
}
_SCENARIO = {
    "periods": 1,
    "period_years": 1.0,
    "discount_rate": 0.0,
    "utilisation_max": 1.0,
    "utilisation_min": 0.0,
    "capital_budget": 0.0,
    "marriage_value_uplift": 0.0,
    "marriage_housing_uplift": 0.0,
    "services": {"gp": GP},
}


def site(site_id: str, **columns: Any) -> dict[str, Any]:
    """One sites.csv row; without ``x`` the i-th site stands at x = 10 km * i, y = 0."""
    return {"site_id": site_id, **_SITE, **columns}


def zone(zone_id: str, **columns: Any) -> dict[str, Any]:
    """One zones.csv row (1,000 residents at the origin unless told)."""
    return {"zone_id": zone_id, **_ZONE, **columns}


def project(project_id: str, site_id: str, **columns: Any) -> dict[str, Any]:
    """One projects.csv row."""
    return {"project_id": project_id, "site_id": site_id, **_PROJECT, **columns}


def travel(*pairs: tuple[str, str, float]) -> list[dict[str, Any]]:
    """travel.csv rows from (zone_id, site_id, distance_m) triples."""
    return [{"zone_id": z, "site_id": s, "distance_m": float(d)} for z, s, d in pairs]


def instance(
    sites: list[dict[str, Any]],
    zones: list[dict[str, Any]],
    projects: list[dict[str, Any]] | None = None,
    travel: list[dict[str, Any]] | None = None,
    **scenario: Any,
) -> eo.Instance:
    """A validated instance; sites without explicit ``x`` are spread 10 km apart."""
    placed = [{"x": 10_000.0 * (i + 1), **row} for i, row in enumerate(sites)]
    site_frame = pd.DataFrame(placed)
    columns = ["project_id", "site_id", *_PROJECT]
    project_frame = pd.DataFrame(projects or [], columns=None if projects else columns)
    travel_frame = None if travel is None else pd.DataFrame(travel)
    return eo.Instance.from_frames(
        site_frame,
        pd.DataFrame(zones),
        eo.Scenario(**{**_SCENARIO, **scenario}),
        projects=project_frame,
        travel=travel_frame,
        name="small",
    )


def solve_checked(inst: eo.Instance, **options: Any) -> eo.Plan:
    """Solve to a proven optimum (gap 0) and require the independent checker to agree."""
    plan = eo.solve(inst, mip_gap=options.pop("mip_gap", 0.0), **options)
    assert plan.status is eo.Status.OPTIMAL, plan
    report = eo.check(inst, plan)
    assert report.ok, str(report)
    return plan


def disposed(plan: eo.Plan) -> dict[str, int]:
    """{site_id: dispose period} of the disposed sites."""
    rows = plan.site_decisions[plan.site_decisions["decision"] == "dispose"]
    return {str(s): int(t) for s, t in zip(rows["site_id"], rows["dispose_period"], strict=True)}


def started(plan: eo.Plan) -> dict[str, int]:
    """{project_id: start period} of the built projects."""
    rows = plan.project_decisions.dropna(subset=["start_period"])
    return {str(p): int(t) for p, t in zip(rows["project_id"], rows["start_period"], strict=True)}


def shares(plan: eo.Plan, zone_id: str, period: int) -> dict[str, float]:
    """{site_id: share} of a zone's gp demand in a period."""
    rows = plan.assignments
    rows = rows[(rows["zone_id"] == zone_id) & (rows["period"] == period)]
    return {str(s): float(x) for s, x in zip(rows["site_id"], rows["share"], strict=True)}
