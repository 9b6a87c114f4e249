"""Small random estates for metamorphic and differential tests (issue 16).

:func:`generated` draws one instance from a seed: 3-6 sites, 2-5 zones, one or two
services, 1-3 periods, up to three projects, marriage pairs, a budget, receipts and
housing targets, travel costs; the budget may bind, or be ``1e15`` or ``9e99`` ("no
limit", as users write it). Every other money value is ``money`` times a factor drawn in
[0.1, 10], so one parameter moves the whole estate between pence and billions.
:func:`times_money` multiplies every money value of an instance by k.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

import estates_opt as eo

SITE_MONEY = ("running_cost", "backlog_cost", "market_value")
PROJECT_MONEY = ("capex", "running_cost_delta")


def generated(seed: int, money: float) -> eo.Instance:
    """A small random instance whose money is of the order of ``money`` pounds."""
    rng = np.random.default_rng(seed)
    n_sites, n_zones = int(rng.integers(3, 7)), int(rng.integers(2, 6))
    periods = int(rng.integers(1, 4))
    services = ["gp", "community"][: int(rng.integers(1, 3))]

    def amount(size: int) -> np.ndarray:
        return money * rng.uniform(0.1, 10.0, size)

    xy = rng.uniform(0, 3_000, (n_sites, 2))
    xy[1] = xy[0] + [30.0, 0.0]  # sites 1 and 2 stand 30 m apart: a marriage pair
    sites = pd.DataFrame(
        {
            "site_id": [f"S{i}" for i in range(n_sites)],
            "borough": rng.choice(["B1", "B2"], n_sites),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "capacity_m2": rng.uniform(50, 400, n_sites).round(),
            "running_cost": amount(n_sites),
            "backlog_cost": amount(n_sites) * rng.integers(0, 2, n_sites),
            "market_value": amount(n_sites) * 5,
            "housing_units": rng.integers(0, 40, n_sites).astype(float),
            "disposable": rng.random(n_sites) < 0.8,
            "earliest_disposal": rng.integers(1, periods + 1, n_sites),
            "services": [";".join(rng.choice(services, int(rng.integers(1, 3)))) for _ in xy],
        }
    )
    zones = pd.DataFrame(
        {
            "zone_id": [f"Z{j}" for j in range(n_zones)],
            "borough": rng.choice(["B1", "B2"], n_zones),
            "x": rng.uniform(0, 3_000, n_zones),
            "y": rng.uniform(0, 3_000, n_zones),
            "population": rng.uniform(200, 1_500, n_zones).round(),
        }
    )
    n_projects = int(rng.integers(0, 4))
    projects = pd.DataFrame(
        {
            "project_id": [f"P{p}" for p in range(n_projects)],
            "site_id": rng.choice(sites["site_id"], n_projects),
            "kind": "extend",
            "capex": amount(n_projects) * 3,
            "added_capacity_m2": rng.uniform(50, 300, n_projects).round(),
            "services": rng.choice(services, n_projects),
            "running_cost_delta": amount(n_projects) * rng.choice([-0.5, 0.2], n_projects),
            "build_periods": rng.integers(0, 2, n_projects),
            "earliest_start": 1,
            "exclusive_group": "",
        }
    )
    scenario = eo.Scenario(
        periods=periods,
        period_years=1.0,
        discount_rate=0.035,
        utilisation_max=1.0,
        # a budget that may bind, or one a user writes for "no limit"
        capital_budget=float(rng.choice([money * rng.uniform(0.5, 20.0), 1e15, 9e99])),
        receipt_retention=float(rng.uniform(0.2, 1.0)),
        receipts_target=float(money * rng.choice([0.0, 5.0])),
        housing_target=float(rng.choice([0.0, 20.0])),
        marriage_distance_m=50.0,
        marriage_value_uplift=0.1,
        services={
            name: eo.Service(
                space_per_1000=float(rng.uniform(40, 120)),
                max_distance_m=float(rng.uniform(2_000, 5_000)),
                travel_cost_per_person_km=float(money * rng.uniform(0.0, 1e-3)),
            )
            for name in services
        },
    )
    return eo.Instance.from_frames(
        sites, zones, scenario, projects=projects, name=f"generated-{seed}"
    )


def times_money(inst: eo.Instance, k: float) -> eo.Instance:
    """The instance with every money value (costs, values, capex, budgets, targets and
    travel cost per person-km) multiplied by ``k``."""
    sites, projects = inst.sites.copy(), inst.projects.copy()
    sites[list(SITE_MONEY)] *= k
    projects[list(PROJECT_MONEY)] *= k
    sc = inst.scenario
    services = {
        name: dataclasses.replace(s, travel_cost_per_person_km=s.travel_cost_per_person_km * k)
        for name, s in sc.services.items()
    }
    scenario = sc.replace(
        capital_budget=tuple(b * k for b in sc.budgets),
        receipts_target=sc.receipts_target * k,
        services=services,
    )
    return dataclasses.replace(inst, sites=sites, projects=projects, scenario=scenario)
