"""Issue 9: the ``[equity]`` fairness caps bind on a tiny instance worked out by hand.

No travel cost, so the NPV is the receipts. Zone Z (1,000 residents, decile 1, borough
X) and zone Y (1,000, decile 9, borough W) each need 100 m2 of gp. Sites hosting gp:
A (100 m2, value 100) 100 m from Z; E (100 m2, value 30) 400 m from Z; B (200 m2, kept)
1,000 m from Z and 0 m from Y. B alone holds both zones, so without caps A and E are both
sold: NPV 130, and Z travels 1,000 m instead of its status quo of 100 m (A, nearest).

- deprived cap 500 m (deciles 1-2 = Z): Z's average must stay <= 600 m. Keep E (Z at
  400 m) and sell A: 100; keeping A instead yields only 30. Optimum 100.
- borough cap 200 m: borough X (Z) must stay <= 300 m, so only A can serve Z: sell E, 30.
"""

from __future__ import annotations

import tomllib

import pytest
from small import disposed, instance, project, site, solve_checked, travel, zone

import estates_opt as eo
from estates_opt.equity import equity_groups, equity_rules
from estates_opt.errors import InputError
from estates_opt.io.scenario_file import scenario_to_toml
from estates_opt.validate.scenario import parse_scenario

SERVICE = eo.Service(space_per_1000=100.0, max_distance_m=5000.0, travel_cost_per_person_km=0.0)


PAIRS = [("Z", "A", 100), ("Z", "E", 400), ("Z", "B", 1000), ("Y", "B", 0)]


def _inst(**scenario: object) -> eo.Instance:
    return instance(
        [
            site("A", capacity_m2=100, market_value=100),
            site("E", capacity_m2=100, market_value=30),
            site("B", capacity_m2=200, disposable=False),
        ],
        [
            zone("Z", imd_decile=1, borough="X"),
            zone("Y", imd_decile=9, borough="W"),
        ],
        travel=travel(*PAIRS),
        services={"gp": SERVICE},
        **scenario,
    )


def _solve(inst: eo.Instance) -> eo.Plan:
    return solve_checked(inst, rules=equity_rules(inst))


def test_without_caps_both_sites_go() -> None:
    inst = _inst()
    assert equity_rules(inst) == []
    plan = _solve(inst)
    assert plan.objective == pytest.approx(130)
    assert disposed(plan) == {"A": 1, "E": 1}


def test_deprived_cap_binds() -> None:
    inst = _inst(equity_deprived_max_increase_m=500.0)
    [(label, service, weights, baseline, cap)] = equity_groups(inst)
    assert (label, service, weights, baseline, cap) == ("deciles 1-2", "gp", {"Z": 1.0}, 100, 500)
    plan = _solve(inst)
    assert plan.objective == pytest.approx(100)
    assert disposed(plan) == {"A": 1}


def test_borough_cap_binds() -> None:
    inst = _inst(equity_borough_max_increase_m=200.0)
    assert [g[0] for g in equity_groups(inst)] == ["borough W", "borough X"]
    plan = _solve(inst)
    assert plan.objective == pytest.approx(30)
    assert disposed(plan) == {"E": 1}


def test_checker_verifies_the_caps() -> None:
    free = _solve(_inst())  # sells A and E: Z at 1,000 m
    capped = _inst(equity_deprived_max_increase_m=500.0)
    report = eo.check(capped, free)
    assert not report.ok
    [violation] = report.violations
    assert (violation.constraint, violation.name) == ("equity", "deprived")
    assert violation.amount == pytest.approx(1000 - 600)
    assert violation.service == "gp" and violation.period == 1
    report = eo.check(_inst(equity_borough_max_increase_m=200.0), free)
    assert [(v.name, v.borough) for v in report.violations] == [("borough", "X")]


def test_every_period_caps_each_period() -> None:
    # Two periods, r = 10 %, and a new build NB (100 m from Z, no capex) ready in period 2.
    # Cap on the last period only: sell A and E in period 1 (Z at B in period 1, at NB in
    # period 2): 130. Cap in every period: Z needs A or E in period 1, so sell A then and
    # E in period 2: 100 + 30 / 1.1 (selling E first gives 30 + 100 / 1.1, less).
    def two_periods(**scenario: object) -> eo.Instance:
        return instance(
            [
                site("A", capacity_m2=100, market_value=100),
                site("E", capacity_m2=100, market_value=30),
                site("B", capacity_m2=200, disposable=False),
                site("S", services="", disposable=False),
            ],
            [zone("Z", imd_decile=1), zone("Y", imd_decile=9)],
            [project("NB", "S", kind="new_build", added_capacity_m2=100, build_periods=1)],
            travel=travel(*PAIRS, ("Z", "S", 100)),
            services={"gp": SERVICE},
            periods=2,
            discount_rate=0.1,
            equity_deprived_max_increase_m=500.0,
            **scenario,
        )

    last = _solve(two_periods())
    assert last.objective == pytest.approx(130)
    assert disposed(last) == {"A": 1, "E": 1}
    every = _solve(two_periods(equity_every_period=True))
    assert every.objective == pytest.approx(100 + 30 / 1.1)
    assert disposed(every) == {"A": 1, "E": 2}
    assert eo.check(two_periods(equity_every_period=True), last).by_constraint() == {
        "equity deprived": 1
    }


def test_missing_deprivation_column_is_an_input_error() -> None:
    inst = instance(
        [site("A", capacity_m2=100)],
        [zone("Z")],
        equity_deprived_max_increase_m=100.0,
    )
    with pytest.raises(InputError, match="imd_decile"):
        equity_rules(inst)


def test_equity_table_round_trip_and_unknown_key() -> None:
    text = scenario_to_toml(_inst().scenario) + (
        "[equity]\ndeprived_deciles = [1, 2, 3]\ndeprived_max_increase_m = 250.0\n"
        'borough_max_increase_m = 400.0\nservices = ["gp"]\nevery_period = true\n'
    )
    scenario = parse_scenario(tomllib.loads(text))
    assert scenario.equity_deprived_deciles == (1, 2, 3)
    assert scenario.equity_every_period and scenario.equity_on
    assert parse_scenario(tomllib.loads(scenario_to_toml(scenario))) == scenario
    assert "[equity]" not in scenario_to_toml(_inst().scenario)
    with pytest.raises(InputError, match=r"unknown key 'deprived_cap' in \[equity\]"):
        parse_scenario(tomllib.loads(text + "deprived_cap = 3\n"))
    with pytest.raises(InputError, match=r"deprived_deciles: expected integers in 1\.\.10"):
        parse_scenario(tomllib.loads(text.replace("[1, 2, 3]", "[0, 11]")))
    with pytest.raises(InputError, match="services: expected names defined"):
        parse_scenario(tomllib.loads(text.replace('["gp"]', '["dentist"]')))
