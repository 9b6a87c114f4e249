"""The borough warm start: a feasible MIP start that never changes the optimum."""

from __future__ import annotations

import numpy as np
import pytest
from small import GP, instance, site, zone

import estates_opt as eo
from estates_opt.backends.base import SolveOptions, get_backend
from estates_opt.model.build import build_model
from estates_opt.optimize.heuristics.warmstart import partition_start
from estates_opt.optimize.verify import worst_violation


@pytest.fixture(scope="module")
def two_boroughs() -> eo.Instance:
    # Each borough: a zone of 1,000 residents (100 m2) and two sites that can each serve
    # it; selling A (value 50) and keeping B is best in both, so the parts add up.
    sites = []
    zones = []
    for b, x0 in (("B1", 0.0), ("B2", 100_000.0)):
        sites += [
            site(f"{b}A", borough=b, x=x0, capacity_m2=100.0, market_value=50.0),
            site(f"{b}B", borough=b, x=x0 + 1_000.0, capacity_m2=200.0, market_value=10.0),
        ]
        zones.append(zone(f"{b}z", borough=b, x=x0 + 500.0))
    return instance(sites, zones, services={"gp": GP}, periods=2, capital_budget=100.0)


def test_partition_start_is_feasible_for_the_whole_estate(two_boroughs) -> None:
    model = build_model(two_boroughs)
    start = partition_start(two_boroughs, model, get_backend("highs"), SolveOptions())
    assert start is not None
    rows = model.matrix @ start
    assert np.all(rows >= model.row_lower - 1e-6)
    assert np.all(rows <= model.row_upper + 1e-6)
    assert np.all(start[model.integer] == np.round(start[model.integer]))


@pytest.mark.parametrize(
    ("solver", "threads", "timing"),
    [
        ("highs", None, "search_s"),  # the search beside the solver
        ("highs", 1, "warm_start_s"),  # one core asked for: a start first
        ("pulp-cbc", None, "warm_start_s"),  # no plans during the solve: a start first
    ],
)
def test_warm_start_keeps_the_optimum(
    two_boroughs, solver: str, threads: int | None, timing: str
) -> None:
    cold = eo.solve(two_boroughs, solver=solver, mip_gap=0, warm_start=False)
    warm = eo.solve(two_boroughs, solver=solver, mip_gap=0, warm_start=True, threads=threads)
    assert warm.status is cold.status is eo.Status.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert timing in warm.timings
    assert eo.check(two_boroughs, warm).ok


def test_a_part_that_cannot_plan_alone_is_joined_to_its_nearest_part() -> None:
    # a third borough, B3, has residents but no site: its zone (next to B2) can only be
    # served from B2, so B3 is solved again together with B2, not with the distant B1
    sites = [
        site("B1A", borough="B1", x=0.0, capacity_m2=100.0, market_value=50.0),
        site("B1B", borough="B1", x=1_000.0, capacity_m2=200.0, market_value=10.0),
        site("B2A", borough="B2", x=100_000.0, capacity_m2=100.0, market_value=50.0),
        site("B2B", borough="B2", x=101_000.0, capacity_m2=400.0, market_value=10.0),
    ]
    zones = [
        zone("B1z", borough="B1", x=500.0),
        zone("B2z", borough="B2", x=100_500.0),
        zone("B3z", borough="B3", x=101_500.0),
    ]
    three = instance(sites, zones, services={"gp": GP}, periods=2, capital_budget=100.0)
    model = build_model(three)
    start = partition_start(three, model, get_backend("highs"), SolveOptions())
    assert start is not None
    assert worst_violation(model, start)[0] <= 1e-6
    plan = eo.solve(three, warm_start=True)
    assert plan.status is eo.Status.OPTIMAL
    assert eo.check(three, plan).ok


def test_no_start_when_the_parts_cannot_plan_even_together(shared_instances) -> None:
    p02 = eo.read_instance(shared_instances / "p02")
    impossible = p02.with_scenario(housing_target=1e9)
    model = build_model(impossible)
    assert partition_start(impossible, model, get_backend("highs"), SolveOptions()) is None
