"""Issue 5: tighter availability rows, zone cover rows, separated links, the LP start.

What a user relies on: the solver-only rows never cut off a plan (known optima still
reached), they close the LP gap where a site is the only provider of a zone, and the
first plan handed to the solver is a plan of the whole model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ncl_sample import make_ncl_small
from small import instance, project, site, zone

import estates_opt as eo
from estates_opt.backends.base import SolveOptions
from estates_opt.backends.highs import HighsBackend
from estates_opt.decomposition import run_backend
from estates_opt.model.build import build_model
from estates_opt.model.strengthen import arc_links, with_rows, zone_cover_rows
from estates_opt.neighbourhood import relaxation_start
from estates_opt.separation import separated_links
from estates_opt.verify import worst_violation

NEAR = eo.Service(space_per_1000=100.0, max_distance_m=5_000.0, travel_cost_per_person_km=0.0)


def _lp_bound(model) -> float:
    relaxed = run_backend(HighsBackend(), model.relaxation(), SolveOptions(), None)
    assert relaxed.status is eo.Status.OPTIMAL
    return relaxed.objective


@pytest.fixture(scope="module")
def sole_provider() -> eo.Instance:
    # Zone z1 (100 m2 of demand) has one site within reach, A, which is worth 1,000 if
    # sold and carries a free refurbishment; z2 is also served by C, which must stay.
    # Selling A leaves z1 unserved, so the optimum keeps it: NPV 0.
    sites = [
        site("A", x=0.0, capacity_m2=200.0, market_value=1_000.0),
        site("C", x=8_000.0, capacity_m2=200.0, disposable=False),
    ]
    zones = [zone("z1", x=-1_000.0), zone("z2", x=4_000.0)]
    projects = [project("REF-A", "A", kind="refurbish", added_capacity_m2=50.0)]
    return instance(sites, zones, projects, services={"gp": NEAR}, periods=2)


def test_the_lp_cannot_sell_part_of_a_sole_provider(sole_provider) -> None:
    plan = eo.solve(sole_provider, mip_gap=0.0)
    assert plan.status is eo.Status.OPTIMAL
    assert plan.objective == pytest.approx(0.0, abs=1e-9)
    model = build_model(sole_provider)
    # the availability row alone lets the LP sell half of A; the zone cover row, with
    # the refurbishment not counted (building it keeps A), closes the gap entirely
    assert _lp_bound(model) == pytest.approx(500.0)
    assert _lp_bound(with_rows(model, zone_cover_rows(model))) == pytest.approx(0.0, abs=1e-9)


def test_zone_cover_rows_leave_out_zones_a_kept_site_serves(sole_provider) -> None:
    matrix, lower, upper = zone_cover_rows(build_model(sole_provider))
    # z1 (both periods; the two rows differ in the d columns they hold); z2 has C
    assert matrix.shape[0] == 2
    assert np.all(np.isinf(lower))
    np.testing.assert_allclose(upper, 0.0)


@pytest.fixture(scope="module")
def p02(shared_instances: Path) -> eo.Instance:
    return eo.read_instance(shared_instances / "p02")


def test_relaxation_start_is_a_plan_of_the_whole_model(p02) -> None:
    model = build_model(p02)
    strong = with_rows(model, zone_cover_rows(model))
    start = relaxation_start(strong, HighsBackend(), SolveOptions(), seconds=30.0)
    assert start is not None
    assert worst_violation(model, start)[0] <= 1e-6
    assert np.all(np.abs(start[model.integer] - np.round(start[model.integer])) <= 1e-6)


def test_relaxation_start_is_none_when_no_plan_exists(p02) -> None:
    model = build_model(p02.with_scenario(housing_target=1e9))
    assert relaxation_start(model, HighsBackend(), SolveOptions(), seconds=30.0) is None


@pytest.fixture(scope="module")
def ncl_small(tmp_path_factory) -> eo.Instance:
    return eo.read_instance(make_ncl_small(tmp_path_factory.mktemp("ncl") / "small", zones=12))


def test_separated_links_give_the_bound_of_all_links_with_fewer_rows(ncl_small) -> None:
    model = build_model(ncl_small)
    every = arc_links(model)
    found = separated_links(model, seconds=30.0)
    assert 0 < found[0].shape[0] < every[0].shape[0]
    all_links = _lp_bound(with_rows(model, every))
    separated = _lp_bound(with_rows(model, found))
    assert all_links < _lp_bound(model)
    assert separated == pytest.approx(all_links, rel=1e-3)
    optimum = eo.solve(ncl_small, mip_gap=0.0).objective
    assert separated >= optimum - 1e-6 * abs(optimum)


def test_progress_reports_pounds_not_the_solvers_scaled_units(ncl_small) -> None:
    seen: list[tuple[float | None, float | None, float | None]] = []
    plan = eo.solve(ncl_small, mip_gap=0.0, on_progress=lambda *report: seen.append(report))
    incumbents = [best for best, _, _ in seen if best is not None]
    assert incumbents, "HiGHS reported no incumbent"
    assert max(incumbents) == pytest.approx(plan.objective, rel=1e-6)
