"""Issue 4: one hand-worked instance per constraint family of MODEL.md section 4.

Every instance is tiny (2-4 sites, 1-2 zones, 1-3 periods) and its optimum is worked
out in the comment above the test before anything is asserted. Unless a test says
otherwise (see ``tests/small.py``): one service ``gp`` needing 100 m2 per 1,000
residents, travel cost 1 GBP per resident per km per year, ``U_max = 1``, no
discounting, one-year periods, no budget and no marriage value. ``travel.csv`` sets
the distances, so "Z-A 700" means zone Z is 700 m from site A and a zone of 1,000
residents served there costs 1,000 * 0.7 = 700 GBP a year.
"""

from __future__ import annotations

import math

import pytest
from small import disposed, instance, project, shares, site, solve_checked, started, travel, zone

import estates_opt as eo

# --- (a) cash: a disposal pays for a project ---------------------------------------------
# Z (1,000 residents, 100 m2) sits at A (0 m); B is 700 m away and can never be sold.
# Project P at B: capex 300, saves 1,000 a year (running_cost_delta -1,000). Budget 100.
#   nothing                       :                                   NPV    0
#   build P only                  : cash 300 > budget 100             infeasible
#   sell A only                   : +500 receipt - 700 travel       = NPV -200
#   sell A and build P            : cash 300 <= 100 + rho * 500
#                                   +500 - 700 - 300 + 1,000        = NPV  500
# So the disposal, which does not pay on its own, is made to fund P: NPV 500.
# With rho = 0.3 the cash is 100 + 150 = 250 < 300: P cannot be funded, NPV 0.
# With a budget of 300, P pays for itself and A stays: 1,000 - 300 = NPV 700.


def _cash_instance(**scenario: object) -> eo.Instance:
    return instance(
        [
            site("A", capacity_m2=100, market_value=500),
            site("B", capacity_m2=100, disposable=False),
        ],
        [zone("Z")],
        [project("P", "B", capex=300, running_cost_delta=-1000)],
        travel(("Z", "A", 0), ("Z", "B", 700)),
        **{"capital_budget": 100.0, **scenario},
    )


def test_disposal_funds_project_through_cash_constraint() -> None:
    plan = solve_checked(_cash_instance())
    assert plan.objective == pytest.approx(500 - 700 - 300 + 1000, rel=1e-9)
    assert disposed(plan) == {"A": 1}
    assert started(plan) == {"P": 1}
    assert shares(plan, "Z", 1) == pytest.approx({"B": 1.0})
    assert plan.cash_flow["cumulative_position"].iloc[0] == pytest.approx(100 + 500 - 300)


@pytest.mark.parametrize(
    ("scenario", "npv", "sold", "built"),
    [
        ({"receipt_retention": 0.5}, 500.0, {"A": 1}, {"P": 1}),  # 100 + 250 >= 300
        ({"receipt_retention": 0.3}, 0.0, {}, {}),  # 100 + 150 < 300
        ({"capital_budget": 300.0}, 700.0, {}, {"P": 1}),  # P alone: -300 + 1,000
    ],
)
def test_cash_constraint_retention_and_budget(
    scenario: dict[str, float], npv: float, sold: dict[str, int], built: dict[str, int]
) -> None:
    plan = solve_checked(_cash_instance(**scenario))
    assert plan.objective == pytest.approx(npv, rel=1e-9, abs=1e-9)
    assert disposed(plan) == sold
    assert started(plan) == built


# Backlog in the cumulative cash row: two periods; A (backlog 400, so beta = 400 / T =
# 200 a period while held) serves Z at 0 m; B (kept, no backlog) is 300 m away.
#   keep A              : cash needs 200 in t=1, 400 by t=2;              NPV    0
#   sell A in t=2       : cash needs 200 by t=1 and t=2; +200 - 300       = NPV -100
#   sell A in t=1       : cash needs 0;            +200 * 2 - 300 * 2     = NPV -200
# Budget 200 a period: keep A (0). Budget [200, 0]: 400 > 200 by t=2, so sell in t=2
# (-100). Budget 150 a period: 200 > 150 in t=1, so sell at once (-200).


@pytest.mark.parametrize(
    ("budget", "npv", "sold"),
    [(200.0, 0.0, {}), ((200.0, 0.0), -100.0, {"A": 2}), (150.0, -200.0, {"A": 1})],
)
def test_backlog_counts_in_cumulative_cash(
    budget: float | tuple[float, ...], npv: float, sold: dict[str, int]
) -> None:
    inst = instance(
        [
            site("A", capacity_m2=100, backlog_cost=400),
            site("B", capacity_m2=100, disposable=False),
        ],
        [zone("Z")],
        travel=travel(("Z", "A", 0), ("Z", "B", 300)),
        periods=2,
        capital_budget=budget,
    )
    plan = solve_checked(inst)
    assert plan.objective == pytest.approx(npv, rel=1e-9, abs=1e-9)
    assert disposed(plan) == sold


# --- (b) marriage value ------------------------------------------------------------------
# A and B stand 30 m apart (< marriage distance 50 m): a pair with uplift
# m_AB = 0.1 * (1,000 + 2,000) = 300 when sold in the same period. C (kept, 200 m2)
# is 1,100 m from ZA and 2,150 m from ZB; ZA uses A (0 m), ZB uses B (0 m).
#   sell A alone : 1,000 - 1,100                      = -100
#   sell B alone : 2,000 - 2,150                      = -150
#   sell both    : 1,000 + 2,000 + 300 - 1,100 - 2,150 = +50
# Only the joint sale pays: NPV 50, with the pair realised in period 1.
# Without the uplift the best is to sell nothing: NPV 0.


def _marriage_instance(uplift: float) -> eo.Instance:
    return instance(
        [
            site("A", x=0.0, capacity_m2=100, market_value=1000),
            site("B", x=30.0, capacity_m2=100, market_value=2000),
            site("C", x=5000.0, capacity_m2=200, disposable=False),
        ],
        [zone("ZA"), zone("ZB")],
        travel=travel(("ZA", "A", 0), ("ZA", "C", 1100), ("ZB", "B", 0), ("ZB", "C", 2150)),
        marriage_value_uplift=uplift,
    )


def test_marriage_pair_sold_together() -> None:
    plan = solve_checked(_marriage_instance(0.1))
    assert plan.objective == pytest.approx(1000 + 2000 + 300 - 1100 - 2150, rel=1e-9)
    assert disposed(plan) == {"A": 1, "B": 1}
    pairs = plan.marriage_pairs
    assert len(pairs) == 1
    assert {pairs["site_a"].iloc[0], pairs["site_b"].iloc[0]} == {"A", "B"}
    assert pairs["period"].iloc[0] == 1
    assert pairs["value_uplift"].iloc[0] == pytest.approx(0.1 * (1000 + 2000))
    assert plan.kpis["receipts"] == pytest.approx(3300)


def test_without_marriage_value_neither_sells() -> None:
    plan = solve_checked(_marriage_instance(0.0))
    assert plan.objective == pytest.approx(0.0, abs=1e-9)
    assert disposed(plan) == {}


# --- (c) housing target ------------------------------------------------------------------
# ZA uses A (0 m) and ZB uses B (0 m); C (kept, 200 m2) is 300 m from both.
#   sell A : +100 receipt, 10 homes, ZA moves to C (-300) -> -200
#   sell B :  +50 receipt, 12 homes, ZB moves to C (-300) -> -250
# Neither pays. Target 10 homes: A alone (10) or B alone (12) meet it; A costs less:
# NPV -200. Target 20: only both (22 homes): -450. Target 0: NPV 0.


@pytest.mark.parametrize(
    ("target", "npv", "sold"),
    [
        (0.0, 0.0, {}),
        (10.0, 100 - 300, {"A": 1}),
        (11.0, 50 - 300, {"B": 1}),
        (20.0, 100 + 50 - 600, {"A": 1, "B": 1}),
    ],
)
def test_housing_target_forces_disposal(target: float, npv: float, sold: dict[str, int]) -> None:
    inst = instance(
        [
            site("A", capacity_m2=100, market_value=100, housing_units=10),
            site("B", capacity_m2=100, market_value=50, housing_units=12),
            site("C", capacity_m2=200, disposable=False),
        ],
        [zone("ZA"), zone("ZB")],
        travel=travel(("ZA", "A", 0), ("ZA", "C", 300), ("ZB", "B", 0), ("ZB", "C", 300)),
        housing_target=target,
    )
    plan = solve_checked(inst)
    assert plan.objective == pytest.approx(npv, rel=1e-9, abs=1e-9)
    assert disposed(plan) == sold
    assert plan.kpis["housing_units"] >= target


# --- (d) utilisation floor ---------------------------------------------------------------
# A and B hold 100 m2 each; ZA and ZB have 500 residents (50 m2) each, next to A and B.
# ZA-B is 1,000 m, ZB-A 1,200 m. Floor U_min = 0.8 in period 1.
# Both open: 100 m2 of load over 200 m2 can never put both sites at >= 80 m2.
#   sell A : ZA moves to B: 500 * 1.0 km = -500, B at 100/100 = 100 %
#   sell B : ZB moves to A: 500 * 1.2 km = -600
#   sell both: no capacity left (infeasible)
# Consolidation onto B: NPV -500. Without the floor: NPV 0, both kept at 50 %.


@pytest.mark.parametrize(("floor", "npv", "sold"), [(0.8, -500.0, {"A": 1}), (0.0, 0.0, {})])
def test_utilisation_floor_forces_consolidation(
    floor: float, npv: float, sold: dict[str, int]
) -> None:
    inst = instance(
        [site("A", capacity_m2=100), site("B", capacity_m2=100)],
        [zone("ZA", population=500), zone("ZB", population=500)],
        travel=travel(("ZA", "A", 0), ("ZA", "B", 1000), ("ZB", "B", 0), ("ZB", "A", 1200)),
        utilisation_min=floor,
    )
    plan = solve_checked(inst)
    assert plan.objective == pytest.approx(npv, rel=1e-9, abs=1e-9)
    assert disposed(plan) == sold
    utilisation = plan.site_decisions.set_index("site_id")["utilisation_p1"]
    if sold:
        assert utilisation["B"] == pytest.approx(1.0)
        assert shares(plan, "ZA", 1) == pytest.approx({"B": 1.0})
    else:
        assert utilisation.to_dict() == pytest.approx({"A": 0.5, "B": 0.5})


# --- (e) build time ----------------------------------------------------------------------
# Three periods, no discounting. Z (100 m2) is served by A (100 m2, running 500 a year,
# value 1,000). N is an empty candidate (0 m2, kept); project P there adds 100 m2 of gp
# for capex 300 and +200 a year running cost, ready build_periods after its start.
# Both A and N are 0 m from Z. A can only go once P is ready (Z needs 100 m2 somewhere).
# build_periods = 1 (P in t=1 is ready in t=2):
#   P t=1, sell A t=2: 1,000 + 500 * 2 (t=2,3) - 300 - 200 * 2 (t=2,3) = 1,300
#   P t=1, sell A t=3: 1,000 + 500     - 300 - 200 * 2                  =   800
#   P t=2, sell A t=3: 1,000 + 500     - 300 - 200                      = 1,000
#   sell A t=1: no capacity for Z in t=1; nothing: 0.   Optimum 1,300.
# build_periods = 2 (P can only start in t=1, ready in t=3):
#   P t=1, sell A t=3: 1,000 + 500 - 300 - 200 = 1,000.


@pytest.mark.parametrize(
    ("build", "npv", "sell"),
    [(1, 1000 + 500 * 2 - 300 - 200 * 2, 2), (2, 1000 + 500 - 300 - 200, 3)],
)
def test_project_must_be_ready_before_services_move(build: int, npv: float, sell: int) -> None:
    inst = instance(
        [
            site("A", capacity_m2=100, market_value=1000, running_cost=500),
            site("N", capacity_m2=0, disposable=False, services=""),
        ],
        [zone("Z")],
        [
            project(
                "P",
                "N",
                kind="new_build",
                capex=300,
                added_capacity_m2=100,
                running_cost_delta=200,
                build_periods=build,
            )
        ],
        travel(("Z", "A", 0), ("Z", "N", 0)),
        periods=3,
        capital_budget=1000.0,
    )
    plan = solve_checked(inst)
    assert plan.objective == pytest.approx(npv, rel=1e-9)
    assert started(plan) == {"P": 1}
    ready = plan.project_decisions.set_index("project_id")["ready_period"]
    assert ready["P"] == 1 + build
    assert disposed(plan) == {"A": sell}
    for t in range(1, 4):
        assert shares(plan, "Z", t) == pytest.approx({"A" if t < sell else "N": 1.0})


# --- (f) discounting and demand growth ---------------------------------------------------
# T = 3 periods of L = 2 years, r = g = 10 % a year: delta_t = 1.1^-(2(t-1)) =
# 1, 1/1.21, 1/1.4641, and pop_t = 1,000 * 1.21^(t-1).
# A (no services) sells for 1,210 and saves L * 100 = 200 of running cost a period; it
# may go from period `earliest` on.
#   sell t=2: 1/1.21 * (1,210 + 200) + 1/1.4641 * 200 = 1,165.289... + 136.603... = 1,301.892
#   sell t=3: 1/1.4641 * (1,210 + 200)                                            =   963.049
# Travel: Z is 1 km from B, L * 1 GBP * pop_t * 1 km = 2,000 * 1.21^(t-1) a period,
# discounted 2,000 every period (g = r): 6,000 in all, whatever happens to A.
# B (200 m2) carries q_t = 100 * 1.21^(t-1) m2: utilisation 0.5, 0.605, 0.73205.


@pytest.mark.parametrize(
    ("earliest", "npv_a"),
    [(2, 1410 / 1.1**2 + 200 / 1.1**4), (3, 1410 / 1.1**4)],
)
def test_discounting_and_growth(earliest: int, npv_a: float) -> None:
    inst = instance(
        [
            site("A", market_value=1210, running_cost=100, earliest_disposal=earliest, services=""),
            site("B", capacity_m2=200, disposable=False),
        ],
        [zone("Z")],
        travel=travel(("Z", "B", 1000)),
        periods=3,
        period_years=2.0,
        discount_rate=0.1,
        growth_per_year=0.1,
    )
    assert inst.scenario.discount_factors == pytest.approx((1, 1 / 1.21, 1 / 1.4641))
    plan = solve_checked(inst)
    assert plan.objective == pytest.approx(npv_a - 6000, rel=1e-9)
    assert disposed(plan) == {"A": earliest}  # as early as allowed: later is worth less
    b = plan.site_decisions.set_index("site_id").loc["B"]
    assert [b[f"utilisation_p{t}"] for t in (1, 2, 3)] == pytest.approx([0.5, 0.605, 0.73205])
    assert math.isnan(plan.site_decisions.set_index("site_id").loc["A", "utilisation_p1"])


# --- (g) infeasible: housing target above every home -------------------------------------
# A and B could deliver 10 + 5 = 15 homes; the target is 20, so it is short by 20 - 15 = 5.


def test_infeasible_housing_target_reports_shortfall() -> None:
    inst = instance(
        [
            site("A", housing_units=10, services=""),
            site("B", housing_units=5, services=""),
            site("C", capacity_m2=100, disposable=False),
        ],
        [zone("Z")],
        travel=travel(("Z", "C", 0)),
        housing_target=20.0,
    )
    plan = eo.solve(inst, mip_gap=0.0)
    assert plan.status is eo.Status.INFEASIBLE
    assert plan.objective is None
    short = plan.shortfalls
    assert short is not None
    assert list(short["requirement"]) == ["housing_target"]
    assert short["short_by"].iloc[0] == pytest.approx(20 - (10 + 5), rel=1e-6)
    with pytest.raises(eo.PlanStatusError, match="infeasible"):
        plan.raise_for_status()


# --- (h) locks ---------------------------------------------------------------------------
# A (value 100) and B (value 200) have no services; selling them pays.
# D (100 m2) serves Z at 0 m; C (kept, 200 m2) is 50 m away: selling D costs 50.
# At C, P1 costs 50 and saves 100 a year (+50); P2 costs 100 and saves nothing (-100).
# Unlocked: sell A and B, build P1, keep D: 100 + 200 + 50            = 350.
# keep A, dispose D, build P2, forbid P1: sell B, sell D, build P2:
#                                          200 - 50 - 100             =  50.


def _locks_instance(**locks: tuple[str, ...]) -> eo.Instance:
    return instance(
        [
            site("A", market_value=100, services=""),
            site("B", market_value=200, services=""),
            site("C", capacity_m2=200, disposable=False),
            site("D", capacity_m2=100),
        ],
        [zone("Z")],
        [
            project("P1", "C", capex=50, running_cost_delta=-100),
            project("P2", "C", capex=100),
        ],
        travel(("Z", "C", 50), ("Z", "D", 0)),
        capital_budget=1000.0,
        **locks,
    )


def test_without_locks() -> None:
    plan = solve_checked(_locks_instance())
    assert plan.objective == pytest.approx(100 + 200 + 50, rel=1e-9)
    assert disposed(plan) == {"A": 1, "B": 1}
    assert started(plan) == {"P1": 1}


def test_locks_honoured() -> None:
    plan = solve_checked(
        _locks_instance(keep=("A",), dispose=("D",), build=("P2",), forbid=("P1",))
    )
    assert plan.objective == pytest.approx(200 - 50 - 100, rel=1e-9)
    assert disposed(plan) == {"B": 1, "D": 1}
    assert started(plan) == {"P2": 1}
    assert shares(plan, "Z", 1) == pytest.approx({"C": 1.0})
