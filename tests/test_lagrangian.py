"""Issue 5: the Lagrangian phase (bounds, plans, fixings) and the implied rows.

What a user relies on: the bound is never below the true optimum, the plan it hands
over is feasible, fixing decisions never cuts off the optimum, the implied rows hold at
every optimal plan, and ``solve(..., lagrangian=True)`` reaches the published optima.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ncl_sample import make_ncl_small
from scipy.optimize import linprog

import estates_opt as eo
from estates_opt.backends.base import SolveOptions
from estates_opt.backends.highs import HighsBackend
from estates_opt.model.build import build_model
from estates_opt.optimize.decomposition import restricted_model
from estates_opt.optimize.lagrangian import lagrangian_bound
from estates_opt.optimize.lagrangian.knapsack import nested_knapsack
from estates_opt.optimize.run import run_backend
from estates_opt.optimize.scaling import scaled
from estates_opt.optimize.strengthen import arc_links, cover_rows, with_rows, zone_cover_rows
from estates_opt.optimize.verify import worst_violation
from estates_opt.sources.orlib import orlib_cap_instance, read_orlib_cap

CAP_OPTIMA = {"cap41": 1040444.375, "cap71": 932615.750, "cap101": 796648.437,
              "cap131": 793439.562}  # fmt: skip


@pytest.fixture(scope="module")
def instances(shared_data: Path, shared_instances: Path, tmp_path_factory) -> dict:
    """Small instances of every shape: OR-Library, the known-answer ones, NCL-small."""
    cap = shared_data / "orlib" / "cap"
    found = {name: orlib_cap_instance(cap / f"{name}.txt") for name in CAP_OPTIMA}
    for name in ("p01", "p02"):
        found[name] = eo.read_instance(shared_instances / name)
    small = make_ncl_small(tmp_path_factory.mktemp("ncl") / "small", zones=12, periods=5)
    found["ncl_small"] = eo.read_instance(small)
    return found


@pytest.fixture(scope="module")
def optima(instances: dict) -> dict:
    """Each instance's optimum by the plain solver at gap 0: (model, NPV, solution)."""
    found = {}
    for name, inst in instances.items():
        model = build_model(inst)
        result = run_backend(HighsBackend(), model, SolveOptions(mip_gap=0.0), None)
        assert result.status is eo.Status.OPTIMAL, name
        found[name] = (model, result.objective, result.solution)
    return found


@pytest.mark.parametrize("seed", range(25))
def test_nested_knapsack_matches_an_lp_solver(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_inner, n_outer = 40, 8, 3
    outer_of_inner = rng.integers(0, n_outer, n_inner)
    inner = rng.integers(0, n_inner, n)
    outer = outer_of_inner[inner]
    profit = rng.normal(0.0, 1.0, n)
    weight = rng.uniform(0.1, 2.0, n)
    inner_cap = rng.uniform(0.0, 6.0, n_inner)
    outer_cap = rng.uniform(0.0, 10.0, n_outer)
    shares, values = nested_knapsack(profit, weight, inner, inner_cap, outer, outer_cap)
    rows = np.zeros((n_inner + n_outer, n))
    rows[inner, np.arange(n)] = weight
    rows[n_inner + outer, np.arange(n)] = weight
    lp = linprog(-profit, A_ub=rows, b_ub=np.r_[inner_cap, outer_cap], bounds=(0, 1))
    assert values.sum() == pytest.approx(-lp.fun, abs=1e-9)
    assert np.all(rows @ shares <= np.r_[inner_cap, outer_cap] + 1e-9)
    np.testing.assert_allclose(np.bincount(outer, profit * shares, n_outer), values, atol=1e-12)


@pytest.mark.parametrize("name", [*CAP_OPTIMA, "p01", "p02", "ncl_small"])
def test_implied_rows_hold_at_the_optimum(name: str, optima: dict) -> None:
    model, _, solution = optima[name]
    strong = with_rows(model, cover_rows(model), arc_links(model), zone_cover_rows(model))
    assert strong.num_rows > model.num_rows
    worst, row = worst_violation(strong, solution)
    assert worst <= 1e-9, f"{name}: implied row {row} cut off the optimum"


@pytest.mark.parametrize("name", [*CAP_OPTIMA, "p01", "p02", "ncl_small"])
def test_bound_plan_and_fixings_are_valid(name: str, optima: dict) -> None:
    model, optimum, _ = optima[name]
    solver_model, money = scaled(model)
    lag = lagrangian_bound(solver_model, seconds=10.0, mip_gap=1e-6)
    assert lag is not None
    assert lag.bound * money >= optimum - 1e-7 * abs(optimum)
    if lag.solution is not None:
        assert worst_violation(model, lag.solution)[0] <= 1e-9
        assert model.objective(lag.solution) <= optimum + 1e-7 * abs(optimum)
    # fixing against the optimum itself (the strongest use): every plan cut off is worth
    # at most the bound given up, and the restricted model still holds the rest
    lower, upper, _, given_up = lag.fixings(optimum / money, 1e-9)
    restricted = restricted_model(model, lower, upper)
    result = run_backend(HighsBackend(), restricted, SolveOptions(mip_gap=0.0), None)
    best = max(-np.inf if result.objective is None else result.objective, given_up * money)
    assert best >= optimum - 1e-7 * abs(optimum)


@pytest.mark.parametrize("name", list(CAP_OPTIMA))
def test_solve_with_the_lagrangian_phase_reaches_published_optima(
    name: str, instances: dict, shared_data: Path
) -> None:
    _, fixed, _, _ = read_orlib_cap(shared_data / "orlib" / "cap" / f"{name}.txt")
    plan = eo.solve(instances[name], mip_gap=1e-9, lagrangian=True)
    assert plan.status is eo.Status.OPTIMAL
    assert fixed.sum() - plan.objective == pytest.approx(CAP_OPTIMA[name], rel=1e-8)
    assert plan.best_bound >= plan.objective - 1e-9 * abs(plan.objective)
    assert eo.check(instances[name], plan).ok


@pytest.mark.parametrize("name", ["p01", "p02"])
def test_solve_with_the_lagrangian_phase_reaches_known_answers(
    name: str, shared_instances: Path
) -> None:
    import json

    folder = shared_instances / name
    reference = json.loads((folder / "reference_plan" / "summary.json").read_text())
    plan = eo.solve(eo.read_instance(folder), mip_gap=0.0, lagrangian=True)
    assert plan.status is eo.Status.OPTIMAL
    assert plan.objective == pytest.approx(reference["objective"], rel=2e-4)


def test_capb_5000_is_proved_optimal_through_the_pipeline(shared_data: Path, tmp_path) -> None:
    # 100 warehouses x 1,000 customers (Beasley's capb at capacity 5,000): the plain
    # MIP ends 2-4 % from the optimum in 60 s; the Lagrangian phase proves it.
    path = shared_data / "orlib" / "cap" / "capb.txt"
    _, fixed, _, _ = read_orlib_cap(path, capacity=5000)
    folder = eo.write_instance(orlib_cap_instance(path, capacity=5000), tmp_path / "capb")
    plan = eo.solve(eo.read_instance(folder))
    assert plan.status is eo.Status.OPTIMAL
    assert plan.mip_gap <= 1e-4
    assert fixed.sum() - plan.objective == pytest.approx(13656379.578, rel=1e-9)


def test_the_command_line_runs_the_lagrangian_phase_on_request(
    shared_data: Path, tmp_path: Path
) -> None:
    import json

    import estates_opt.cli

    path = shared_data / "orlib" / "cap" / "cap71.txt"
    _, fixed, _, _ = read_orlib_cap(path)
    folder = eo.write_instance(orlib_cap_instance(path), tmp_path / "cap71")
    out = tmp_path / "out"
    args = ["-q", "solve", str(folder), "--out", str(out), "--lagrangian", "on"]
    assert estates_opt.cli.main([*args, "--mip-gap", "1e-9"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert "lagrangian" in summary["solver"].lower()
    assert fixed.sum() - summary["objective"] == pytest.approx(CAP_OPTIMA["cap71"], rel=1e-8)
