"""Issue 5: tighter rows, separated links, the LP start, the search beside the solve.

What a user relies on: the solver-only rows never cut off a plan (known optima still
reached), they close the LP gap where a site is the only provider of a zone, and the
first plan handed to the solver is a plan of the whole model.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from ncl_sample import make_ncl_small
from small import instance, project, site, zone

import estates_opt as eo
import estates_opt.optimize.heuristics.neighbourhood as neighbourhood
from estates_opt.backends.base import Capabilities, SolveOptions, SolverResult
from estates_opt.backends.highs import HighsBackend
from estates_opt.model.build import build_model
from estates_opt.optimize.heuristics.exchange import PlanExchange
from estates_opt.optimize.heuristics.neighbourhood import (
    _LocalSteps,
    _Stall,
    _timing_window,
    neighbourhood_search,
    relaxation_start,
)
from estates_opt.optimize.run import run_backend
from estates_opt.optimize.separation import separated_links
from estates_opt.optimize.strengthen import arc_links, with_rows, zone_cover_rows
from estates_opt.optimize.verify import worst_violation
from estates_opt.plan import total_seconds

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
    return eo.read_instance(make_ncl_small(tmp_path_factory.mktemp("ncl") / "small", zones=20))


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


@pytest.fixture(scope="module")
def ncl_small_optimum(ncl_small) -> tuple[np.ndarray, float]:
    model = build_model(ncl_small)
    result = run_backend(HighsBackend(), model, SolveOptions(mip_gap=0.0), None)
    assert result.status is eo.Status.OPTIMAL
    return result.solution, result.objective


def test_highs_takes_a_plan_offered_during_the_search(ncl_small, ncl_small_optimum) -> None:
    # the plan comes in through the user-solution callback; the stop event, set as it
    # is handed over, ends the run before HiGHS could find anything itself
    model = build_model(ncl_small)
    plan, npv = ncl_small_optimum
    stop = threading.Event()

    def incoming() -> np.ndarray:
        stop.set()
        return plan

    options = SolveOptions(mip_gap=0.0, incoming=incoming, stop=stop)
    result = run_backend(HighsBackend(), model, options, None)
    assert stop.is_set()
    assert result.status is eo.Status.FEASIBLE  # stopped, as by a time limit
    assert result.objective == pytest.approx(npv, rel=1e-9)


def test_highs_reports_each_improving_plan(ncl_small, ncl_small_optimum) -> None:
    model = build_model(ncl_small)
    seen: list[float] = []
    options = SolveOptions(mip_gap=0.0, found=lambda values: seen.append(model.objective(values)))
    result = run_backend(HighsBackend(), model, options, None)
    assert seen, "HiGHS reported no plan"
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(ncl_small_optimum[1], rel=1e-9)
    assert result.objective == pytest.approx(seen[-1], rel=1e-9)


def test_the_exchange_keeps_only_better_plans_of_the_model(ncl_small, ncl_small_optimum) -> None:
    model = build_model(ncl_small)
    plan, npv = ncl_small_optimum
    exchange = PlanExchange(model)
    found, incoming = exchange.port()
    _, other_incoming = exchange.port()
    broken = plan.copy()
    broken[model.blocks["x"].columns] *= 2.0  # assigns twice the demand
    assert exchange.offer(broken) is None
    assert exchange.best() is None
    found(plan)
    assert incoming() is None  # a search is not handed its own plan back...
    np.testing.assert_allclose(other_incoming(), plan)  # ...but every other search is
    assert other_incoming() is None  # once
    assert exchange.offer(plan) is None  # not better than the best
    assert exchange.best()[1] == pytest.approx(npv)


def test_a_solve_beside_the_neighbourhood_search_reaches_the_optimum(
    ncl_small, ncl_small_optimum
) -> None:
    plan = eo.solve(ncl_small, mip_gap=0.0, warm_start=True)
    assert plan.status is eo.Status.OPTIMAL
    assert plan.objective == pytest.approx(ncl_small_optimum[1], rel=1e-9)


def test_the_neighbourhood_search_offers_plans_of_the_whole_model(
    ncl_small, ncl_small_optimum
) -> None:
    model = with_rows(build_model(ncl_small), zone_cover_rows(build_model(ncl_small)))
    exchange = PlanExchange(model)
    neighbourhood_search(model, HighsBackend(), SolveOptions(), exchange, seconds=20.0)
    plan, npv = exchange.best()
    assert worst_violation(model, plan)[0] <= 1e-6
    assert npv <= ncl_small_optimum[1] * (1 + 1e-9)


def test_a_stopped_neighbourhood_search_offers_nothing(ncl_small) -> None:
    model = build_model(ncl_small)
    exchange = PlanExchange(model)
    exchange.stop.set()
    neighbourhood_search(model, HighsBackend(), SolveOptions(), exchange, seconds=20.0)
    assert exchange.best() is None


def test_the_timing_window_frees_the_periods_around_each_decision(
    ncl_small_optimum, ncl_small
) -> None:
    model = build_model(ncl_small)
    plan = ncl_small_optimum[0].copy()  # it sells sites but builds no project:
    middle = np.flatnonzero(model.blocks["u"].index["period"] == 1)[0]
    plan[model.blocks["u"].start + middle] = 1.0  # one project, built in period 1
    window = _timing_window(model, plan, 1)
    for name, key in (("d", "site"), ("u", "project")):
        block = model.blocks[name]
        who, period = block.index[key], block.index["period"]
        made = block.values(plan) > 0.5
        assert made.any(), f"the plan makes no {name} decision"
        expected = np.zeros(block.size, dtype=bool)
        for entity, when in zip(who[made], period[made], strict=True):
            expected |= (who == entity) & (np.abs(period - when) <= 1)
        np.testing.assert_array_equal(window[block.columns], expected)
    assert not window[model.blocks["x"].columns].any()


def _sites_of(model, free: np.ndarray) -> set[int]:
    d, u = model.blocks["d"], model.blocks["u"]
    return set(d.index["site"][free[d.columns]]) | set(u.index["site"][free[u.columns]])


def test_an_area_step_re_plans_the_nearest_sites_and_opens_their_arcs(
    ncl_small, ncl_small_optimum, monkeypatch
) -> None:
    monkeypatch.setattr(neighbourhood, "AREA_SITES", 3)
    model = build_model(ncl_small)
    steps = _LocalSteps(model, np.random.default_rng(0))
    name, free, arcs = next(iter(steps))
    assert name == "area"
    mask = free(ncl_small_optimum[0])
    sites = _sites_of(model, mask)
    assert len(sites) == 3
    # every d and u column of those sites is free, and nothing else is
    d, u = model.blocks["d"], model.blocks["u"]
    expected = np.zeros(model.num_cols, dtype=bool)
    expected[d.columns[np.isin(d.index["site"], list(sites))]] = True
    expected[u.columns[np.isin(u.index["site"], list(sites))]] = True
    np.testing.assert_array_equal(mask, expected)
    # they are the three movable sites nearest one of them (the seed)
    movable = np.union1d(d.index["site"], u.index["site"])
    xy = model.site_xy
    nearest = [
        set(movable[np.argsort(np.hypot(*(xy[movable] - xy[seed]).T), kind="stable")[:3]])
        for seed in sites
    ]
    assert sites in nearest
    np.testing.assert_array_equal(arcs, model.arcs["site"].isin(list(sites)).to_numpy())


def test_area_steps_sweep_the_estate_before_returning(ncl_small, monkeypatch) -> None:
    monkeypatch.setattr(neighbourhood, "AREA_SITES", 2)
    model = build_model(ncl_small)
    d, u = model.blocks["d"], model.blocks["u"]
    movable = set(np.union1d(d.index["site"], u.index["site"]))
    covered: set[int] = set()
    plan = np.zeros(model.num_cols)
    for name, free, _ in _LocalSteps(model, np.random.default_rng(1)):
        if name != "area":
            continue
        area = _sites_of(model, free(plan))
        assert area - covered, f"area {sorted(area)} covers no new site"
        covered |= area
        if covered == movable:
            break


def test_a_timing_step_moves_every_disposal_and_a_fifth_of_the_projects(
    ncl_small, ncl_small_optimum
) -> None:
    model = build_model(ncl_small)
    plan = ncl_small_optimum[0].copy()
    u = model.blocks["u"]
    built = np.flatnonzero(u.index["period"] == 1)  # build every project that can start in 1
    plan[u.start + built] = 1.0
    steps = iter(_LocalSteps(model, np.random.default_rng(0)))
    _, free, arcs = next(step for step in steps if step[0] == "timing")
    mask = free(plan)
    window = _timing_window(model, plan, 1)
    d = model.blocks["d"]
    np.testing.assert_array_equal(mask[d.columns], window[d.columns])
    moved = set(u.index["project"][mask[u.columns]])
    projects = np.unique(u.index["project"])
    assert len(moved) <= int(np.ceil(0.2 * len(projects)))
    assert moved, "no project may move"
    assert (mask <= window).all()
    assert not arcs.any()


def test_a_step_stops_once_it_has_gone_stall_seconds_without_a_better_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a clock the test moves by hand: no assumption about how fast the machine is
    now = [100.0]
    monkeypatch.setattr(neighbourhood.time, "perf_counter", lambda: now[0])
    search_stop = threading.Event()
    stall = _Stall(search_stop, 0.05)
    offered = []

    class Exchange:
        def offer(self, values):
            offered.append(values)

    found = stall.offering(Exchange())
    assert not stall.is_set()  # no plan yet: the step may take its whole time
    found(np.ones(2))
    now[0] += 0.05
    assert not stall.is_set()  # 0.05 s without a better plan: not yet more than 0.05
    now[0] += 0.01
    assert stall.is_set()
    assert len(offered) == 1
    never = _Stall(search_stop, None)
    never.offering(Exchange())(np.ones(2))
    assert not never.is_set()
    search_stop.set()
    assert never.is_set()


def test_a_failing_solver_ends_the_search_with_a_warning(ncl_small, caplog) -> None:
    class Broken:
        name = "broken"
        capabilities = Capabilities()

        def solve(self, model, options, start=None):
            raise RuntimeError("licence server unreachable")

    model = build_model(ncl_small)
    exchange = PlanExchange(model)
    neighbourhood_search(model, Broken(), SolveOptions(), exchange, seconds=20.0)
    assert exchange.best() is None
    assert "neighbourhood search stopped: solver 'broken' failed: licence server unreachable" in (
        caplog.text
    )


def test_the_exchange_plan_replaces_a_worse_or_missing_result(ncl_small, ncl_small_optimum) -> None:
    model = build_model(ncl_small)
    plan, npv = ncl_small_optimum
    exchange = PlanExchange(model)
    exchange.offer(plan)
    nothing = SolverResult(eo.Status.NO_SOLUTION, None, None, npv * 1.01, "HiGHS", 300.0)
    improved = exchange.improve(nothing)
    assert improved.status is eo.Status.FEASIBLE
    assert improved.objective == pytest.approx(npv)
    assert improved.bound == nothing.bound
    infeasible = SolverResult(eo.Status.INFEASIBLE, None, None, None, "HiGHS", 1.0)
    assert exchange.improve(infeasible) is infeasible


def test_the_total_time_leaves_out_the_search_that_ran_beside_the_solver() -> None:
    timings = {"build_s": 1.0, "strengthen_s": 2.0, "solve_s": 10.0, "search_s": 9.5}
    assert total_seconds(timings) == pytest.approx(13.0)
