"""Issue 4: each ready-made rule of :mod:`estates_opt.rules` moves a small optimum as
predicted by hand, and a rule written by a user (a function yielding ``expr <= k``) works.

Defaults as in ``tests/small.py``: no discounting unless stated, one-year periods, no
marriage value, sites 10 km apart. Sites without services hold no demand, so selling
one is worth exactly its market value (in its period, discounted).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from small import disposed, instance, project, site, solve_checked, started, travel, zone

import estates_opt as eo
from estates_opt.model.rules import Constraint, Decisions


def _keeper() -> dict:
    """C keeps Z's 100 m2 of gp demand (0 m away) whatever is sold."""
    return site("C", capacity_m2=100, disposable=False, borough="B9")


# --- max_disposals_per_borough ------------------------------------------------------------
# A (100) and B (200) in borough X, two periods, r = 10 %: without the rule both go in
# period 1: 300. With at most one a period, the larger goes first:
#   B t=1, A t=2: 200 + 100 / 1.1 = 290.909...   (A t=1, B t=2: 100 + 200 / 1.1 = 281.8)


def _two_sales(**scenario: object) -> eo.Instance:
    return instance(
        [
            site("A", borough="X", market_value=100, services=""),
            site("B", borough="X", market_value=200, services=""),
            _keeper(),
        ],
        [zone("Z")],
        travel=travel(("Z", "C", 0)),
        **scenario,
    )


def test_max_disposals_per_borough() -> None:
    inst = _two_sales(periods=2, discount_rate=0.1)
    free = solve_checked(inst)
    assert free.objective == pytest.approx(300, rel=1e-9)
    assert disposed(free) == {"A": 1, "B": 1}
    plan = solve_checked(inst, rules=[eo.rules.max_disposals_per_borough(1)])
    assert plan.objective == pytest.approx(200 + 100 / 1.1, rel=1e-9)
    assert disposed(plan) == {"B": 1, "A": 2}


# --- dispose_together ---------------------------------------------------------------------
# A (value 100, no services) pays on its own. B (value 50) serves Z at 0 m; C is 100 m
# away, so selling B costs 1,000 * 0.1 km = 100 of travel: 50 - 100 = -50.
# Free: sell A only: 100. Together: both (100 + 50 - 100 = 50) beats neither (0): 50.


def test_dispose_together() -> None:
    inst = instance(
        [
            site("A", market_value=100, services=""),
            site("B", capacity_m2=100, market_value=50),
            _keeper(),
        ],
        [zone("Z")],
        travel=travel(("Z", "B", 0), ("Z", "C", 100)),
    )
    free = solve_checked(inst)
    assert free.objective == pytest.approx(100, rel=1e-9)
    assert disposed(free) == {"A": 1}
    plan = solve_checked(inst, rules=[eo.rules.dispose_together("A", "B")])
    assert plan.objective == pytest.approx(100 + 50 - 100, rel=1e-9)
    assert disposed(plan) == {"A": 1, "B": 1}


# --- min_floor_area_kept -------------------------------------------------------------------
# A (100 m2, value 100) and B (150 m2, value 200) in borough X hold no demand (no
# services). Free: sell both: 300. Keep >= 100 m2 in X: one must stay; keeping A (the
# cheaper to keep) and selling B gives 200; keeping B gives 100. Keep >= 200 m2: both
# stay (250 m2 >= 200; either alone is too little): 0.


@pytest.mark.parametrize(("floor_m2", "npv", "sold"), [(100, 200, {"B": 1}), (200, 0, {})])
def test_min_floor_area_kept(floor_m2: float, npv: float, sold: dict[str, int]) -> None:
    inst = instance(
        [
            site("A", borough="X", capacity_m2=100, market_value=100, services=""),
            site("B", borough="X", capacity_m2=150, market_value=200, services=""),
            _keeper(),
        ],
        [zone("Z")],
        travel=travel(("Z", "C", 0)),
    )
    assert solve_checked(inst).objective == pytest.approx(300, rel=1e-9)
    plan = solve_checked(inst, rules=[eo.rules.min_floor_area_kept("X", floor_m2)])
    assert plan.objective == pytest.approx(npv, rel=1e-9, abs=1e-9)
    assert disposed(plan) == sold


# --- dispose_after_ready ---------------------------------------------------------------------
# Three periods, r = 10 %. A (value 1,000, no services) can go in t=1: 1,000. Project P
# at C costs 100 with no benefit and takes one period to build. With "A only after P
# is ready":
#   P t=1, A t=2: -100 + 1,000 / 1.1          = 809.09...
#   P t=2, A t=3: -100 / 1.1 + 1,000 / 1.21   = 735.54...
#   neither: 0.                                       Optimum 809.09.


def test_dispose_after_ready() -> None:
    inst = instance(
        [site("A", market_value=1000, services=""), _keeper()],
        [zone("Z")],
        [project("P", "C", capex=100, build_periods=1)],
        travel(("Z", "C", 0)),
        periods=3,
        discount_rate=0.1,
        capital_budget=1000.0,
    )
    free = solve_checked(inst)
    assert free.objective == pytest.approx(1000, rel=1e-9)
    assert (disposed(free), started(free)) == ({"A": 1}, {})
    plan = solve_checked(inst, rules=[eo.rules.dispose_after_ready("A", "P")])
    assert plan.objective == pytest.approx(-100 + 1000 / 1.1, rel=1e-9)
    assert (disposed(plan), started(plan)) == ({"A": 2}, {"P": 1})


# --- a user-written rule ------------------------------------------------------------------
# "At most one disposal over the whole horizon", in one period: A (100) and B (200)
# free: 300; with the rule only B: 200.


def at_most_one_sale(v: Decisions) -> Iterator[Constraint]:
    yield v.total(v.dispose(s) for s in v.site_ids) <= 1


def test_user_rule() -> None:
    inst = _two_sales()
    plan = solve_checked(inst, rules=[at_most_one_sale])
    assert plan.objective == pytest.approx(200, rel=1e-9)
    assert disposed(plan) == {"B": 1}


def test_user_rule_with_plain_sum_and_named_constraint() -> None:
    # sum() works as well as v.total(); "A or B, not both" again gives B: 200.
    def a_or_b(v: Decisions) -> Iterator[Constraint]:
        yield (sum(v.dispose(s) for s in ("A", "B")) <= 1).named("A or B")

    plan = solve_checked(_two_sales(), rules=[a_or_b])
    assert plan.objective == pytest.approx(200, rel=1e-9)


def test_user_rule_must_yield_constraints() -> None:
    def broken(v: Decisions) -> Iterator[object]:
        yield v.dispose("A")  # an expression, not a constraint

    with pytest.raises(eo.EstatesOptError, match="expected a constraint"):
        eo.solve(_two_sales(), rules=[broken])


def test_rule_naming_unknown_site_is_an_error() -> None:
    with pytest.raises(eo.EstatesOptError, match="unknown site 'NOPE'"):
        eo.solve(_two_sales(), rules=[eo.rules.dispose_together("A", "NOPE")])
