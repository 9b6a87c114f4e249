"""Issue 16: an `optimal` plan is optimal in pounds, whatever the magnitudes typed.

The class of fault: a money scale that follows a number which cannot matter (a budget of
1e15 meaning "no limit") pushes the objective below the solvers' tolerances, and every
backend then returns a different plan labelled optimal. These tests pin the class, not
the example: scaling all money by k scales the optimum by k (metamorphic), a bound that
cannot bind changes nothing (invariance), and every backend reaches the same optimum on
generated estates with money from a penny to a trillion pounds (differential).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import estates_opt as eo
from estates_opt.backends.base import available_solvers
from estates_opt.model.build import build_model
from estates_opt.optimize.certify import BrokenPlan, earned
from estates_opt.optimize.scaling import objective_scale, row_scale, scaled
from estates_opt.sources.orlib import orlib_cap_instance, read_orlib_cap
from tests.generated import generated, times_money
from tests.small import instance, site, zone

SOLVERS = available_solvers()
GAP = 1e-9
SAME = 1e-6  # two proven optima agree to the certification's round-off (ROUND_OFF)
QUICK = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def optimum(inst: eo.Instance, solver: str = "highs") -> eo.Plan:
    plan = eo.solve(inst, solver=solver, mip_gap=GAP)
    assert plan.status in (eo.Status.OPTIMAL, eo.Status.INFEASIBLE), (solver, plan.message)
    return plan


def same_npv(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= SAME * max(1.0, abs(a), abs(b))


# --- the found instance: a facility-location estate with a budget of 1e15 ----------------


@pytest.fixture(scope="module")
def cap41(shared_data: Path) -> tuple[eo.Instance, float]:
    path = shared_data / "orlib" / "cap" / "cap41.txt"
    _, fixed, _, _ = read_orlib_cap(path)
    return orlib_cap_instance(path), float(fixed.sum())


@pytest.mark.parametrize("budget", [1e15, 9e99, 1e300])
@pytest.mark.parametrize("solver", ["highs", "pulp-cbc", "ortools-scip"])
def test_unlimited_budget_gives_the_published_optimum(
    cap41: tuple[eo.Instance, float], solver: str, budget: float
) -> None:
    # Beasley's published optimum of cap41 is 1,040,444.375 (OR-Library capopt); the NPV
    # of the mapped instance is the sum of fixed costs minus that cost. Before the fix
    # these three backends returned 1,175,674 / 1,158,827 / 1,064,075, all "optimal".
    if solver not in SOLVERS:
        pytest.skip(f"{solver} is not installed")
    inst, fixed = cap41
    plan = eo.solve(inst.with_scenario(capital_budget=budget), solver=solver, mip_gap=GAP)
    assert plan.status is eo.Status.OPTIMAL, plan.message
    assert fixed - plan.objective == pytest.approx(1_040_444.375, rel=1e-8)


def test_a_budget_that_cannot_bind_does_not_set_the_money_scale(
    cap41: tuple[eo.Instance, float],
) -> None:
    inst, _ = cap41
    plain = build_model(inst)
    unlimited = build_model(inst.with_scenario(capital_budget=1e15))
    solver_copy, money = scaled(unlimited, report=False)
    assert objective_scale(solver_copy) == row_scale(solver_copy) == 1.0  # already scaled
    assert money == scaled(plain, report=False)[1]
    assert np.isinf(scaled(unlimited, report=False)[0].row_upper[unlimited.rows_of("cash")]).all()


def test_a_binding_budget_beyond_the_range_is_an_input_error() -> None:
    # four sites carry 1e15 of backlog each against a budget of 2e15: the cash row binds
    # at 2e15 - 4e15 = -2e15, where no money scale keeps a pound of travel cost visible
    sites = [site(s, backlog_cost=1e15, capacity_m2=100) for s in "ABCD"]
    inst = instance(sites, [zone("Z")], capital_budget=2e15)
    with pytest.raises(eo.InputError, match=r"of at most 1e\+15 GBP, got 2e\+15; write a"):
        eo.solve(inst)


# --- metamorphic: all money times k ---------------------------------------------------


@QUICK
@given(
    seed=st.integers(0, 10_000),
    money=st.sampled_from([1.0, 1e2, 1e4, 1e6]),
    k=st.sampled_from([1e-3, 1e3, 1e6]),
)
def test_money_times_k_scales_the_optimum_by_k(seed: int, money: float, k: float) -> None:
    inst = generated(seed, money)
    base, scaled_plan = optimum(inst), optimum(times_money(inst, k))
    assert scaled_plan.status is base.status, f"seed {seed}"
    if base.objective is None:
        return
    assert same_npv(scaled_plan.objective, k * base.objective), f"seed {seed}"
    # the decisions of the scaled optimum are worth the optimum in the original money
    report = eo.check(inst, scaled_plan)  # its money columns differ by k; npv does not
    assert same_npv(report.npv, base.objective), f"seed {seed}"


# --- invariance: a bound that cannot bind changes nothing ------------------------------


@QUICK
@given(seed=st.integers(0, 10_000), exponent=st.integers(0, 300))
def test_a_budget_that_cannot_bind_never_changes_the_optimum(seed: int, exponent: int) -> None:
    inst = generated(seed, 1e3)
    ceiling = float(inst.projects["capex"].sum() + inst.sites["backlog_cost"].sum())
    loose = inst.with_scenario(capital_budget=ceiling + 1.0)
    looser = inst.with_scenario(capital_budget=max(ceiling + 1.0, 10.0**exponent))
    a, b = optimum(loose), optimum(looser)
    assert a.status is b.status and same_npv(a.objective, b.objective), f"seed {seed}"


@QUICK
@given(seed=st.integers(0, 10_000), exponent=st.integers(5, 300))
def test_a_reach_beyond_every_distance_never_changes_the_optimum(seed: int, exponent: int) -> None:
    inst = generated(seed, 1e3)
    far = {
        name: eo.Service(s.space_per_1000, 1e5, s.travel_cost_per_person_km)
        for name, s in inst.scenario.services.items()
    }
    farther = {
        name: eo.Service(s.space_per_1000, 10.0**exponent, s.travel_cost_per_person_km)
        for name, s in far.items()
    }
    a = optimum(inst.with_scenario(services=far))  # every zone is within 5 km of every site
    b = optimum(inst.with_scenario(services=farther))
    assert a.status is b.status and same_npv(a.objective, b.objective), f"seed {seed}"


# --- differential: every backend, 200 estates, money from 1e-2 to 1e12 -----------------

SEEDS = range(200)
CHUNKS = 10


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_backend_reaches_the_same_optimum(chunk: int) -> None:
    disagreements = []
    for seed in SEEDS[chunk::CHUNKS]:
        money = 10.0 ** np.random.default_rng(seed).uniform(-2, 12)
        inst = generated(seed, money)
        plans = {solver: optimum(inst, solver) for solver in SOLVERS}
        reference = plans["highs"]
        for solver, plan in plans.items():
            if plan.status is not reference.status or not same_npv(
                plan.objective, reference.objective
            ):
                disagreements.append(
                    f"seed {seed} (money {money:.3g}): {solver} {plan.status} "
                    f"{plan.objective!r} vs highs {reference.status} {reference.objective!r}"
                )
    assert not disagreements, "\n".join(disagreements)


# --- the optimal label is earned in pounds ---------------------------------------------


def _small_plan() -> tuple[eo.Instance, eo.Plan]:
    # A (value 100) can go: B serves the zone. Optimum NPV 100 + A's running cost 10 = 110.
    sites = [
        site("A", x=0.0, capacity_m2=100, running_cost=10.0, market_value=100.0),
        site("B", x=1_000.0, capacity_m2=100, disposable=False),
    ]
    inst = instance(sites, [zone("Z", x=1_000.0)], capital_budget=1e6)
    return inst, eo.solve(inst, mip_gap=0.0)


def test_a_claimed_optimum_with_a_gap_in_pounds_is_downgraded() -> None:
    inst, plan = _small_plan()
    assert plan.status is eo.Status.OPTIMAL and plan.objective == pytest.approx(110.0)
    claimed = dataclasses.replace(plan, best_bound=121.0)  # a bound 10 % above, called optimal
    out = earned(inst, claimed, mip_gap=1e-4)
    assert not isinstance(out, BrokenPlan)
    assert out.status is eo.Status.FEASIBLE
    assert out.mip_gap == pytest.approx(0.1)
    assert "in pounds the gap is 0.1, above the requested 0.0001" in out.message


def test_a_bound_below_the_plan_proves_nothing() -> None:
    inst, plan = _small_plan()
    out = earned(inst, dataclasses.replace(plan, best_bound=50.0), mip_gap=1e-4)
    assert not isinstance(out, BrokenPlan)
    assert out.status is eo.Status.FEASIBLE and out.best_bound is None
    assert "proves nothing" in out.message


def test_a_plan_that_breaks_a_constraint_is_not_reported() -> None:
    inst, plan = _small_plan()
    broken = inst.with_scenario(housing_target=5.0)  # the plan sells A, which has no homes
    out = earned(broken, plan, mip_gap=1e-4)
    assert isinstance(out, BrokenPlan)
    assert "fails the independent check" in out.message and "4.11 housing" in out.message


def test_the_objective_is_the_npv_recomputed_in_pounds() -> None:
    inst, plan = _small_plan()
    assert plan.objective == eo.check(inst, plan).npv
    assert math.isclose(plan.objective, 110.0, rel_tol=1e-12)
