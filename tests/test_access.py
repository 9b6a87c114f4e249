"""Issue 9: fair-access metrics on a tiny instance worked out by hand.

gp reach 400 m, no travel cost. Zones: Z1 (1,000 residents, decile 1, borough X),
Z2 (3,000, decile 1, Y), Z3 (2,000, decile 5, Y). Sites hosting gp today:
A (100 m2, kept), B (600 m2, kept), C (300 m2, value 10). Distances (travel.csv):
Z1-A 100, Z1-B 500 (out of reach); Z2-A 300, Z2-B 200; Z3-B 350, Z3-C 50.

Demand is 100, 300 and 200 m2. Z1 can only use A (full with it), so Z2 and Z3 go to B
(500 of 600 m2) and C is sold for 10: the optimum.

Status quo (nearest site hosting gp today): Z1 100 m, Z2 200 m, Z3 50 m;
after: Z1 100, Z2 200, Z3 350 (B).

2SFCA before: R_A = 100 / ((1,000 + 3,000) / 1,000) = 25, R_B = 600 / 5 = 120,
R_C = 300 / 2 = 150, so A(Z1) = 25, A(Z2) = 25 + 120 = 145, A(Z3) = 120 + 150 = 270.
After (C sold): Z1 25, Z2 145, Z3 120.
"""

from __future__ import annotations

import numpy as np
import pytest
from small import GP, disposed, instance, site, solve_checked, travel, zone

import estates_opt as eo
from estates_opt.access import access, status_quo_distance, weighted_quantile

SERVICE = eo.Service(space_per_1000=100.0, max_distance_m=400.0, travel_cost_per_person_km=0.0)


PAIRS = [("Z1", "A", 100), ("Z1", "B", 500), ("Z2", "A", 300), ("Z2", "B", 200),
         ("Z3", "B", 350), ("Z3", "C", 50)]  # fmt: skip


@pytest.fixture(scope="module")
def case() -> tuple[eo.Instance, eo.Plan]:
    inst = instance(
        [
            site("A", capacity_m2=100, disposable=False),
            site("B", capacity_m2=600, disposable=False),
            site("C", capacity_m2=300, market_value=10),
        ],
        [
            zone("Z1", population=1000, imd_decile=1, borough="X"),
            zone("Z2", population=3000, imd_decile=1, borough="Y"),
            zone("Z3", population=2000, imd_decile=5, borough="Y"),
        ],
        travel=travel(*PAIRS),
        services={"gp": SERVICE},
    )
    plan = solve_checked(inst)
    assert disposed(plan) == {"C": 1}
    return inst, plan


def test_status_quo_distance(case: tuple[eo.Instance, eo.Plan]) -> None:
    inst, _ = case
    assert status_quo_distance(inst)[:, 0] == pytest.approx([100, 200, 50])


def test_two_step_floating_catchment(case: tuple[eo.Instance, eo.Plan]) -> None:
    zones = access(*case).zones.set_index("zone_id")
    assert zones["access_before"].to_numpy() == pytest.approx([25, 145, 270])
    assert zones["access_after"].to_numpy() == pytest.approx([25, 145, 120])
    assert zones["access_change"].to_numpy() == pytest.approx([0, 0, -150])
    assert zones["distance_after_m"].to_numpy() == pytest.approx([100, 200, 350])


def test_totals_by_hand(case: tuple[eo.Instance, eo.Plan]) -> None:
    total = access(*case).by("total").iloc[0]
    assert total["avg_before_m"] == pytest.approx((100_000 + 600_000 + 100_000) / 6000)
    assert total["avg_after_m"] == pytest.approx((100_000 + 600_000 + 700_000) / 6000)
    # residents sorted by distance: before 50 (2,000), 100 (1,000), 200 (3,000): 90 % at 200
    assert total["p90_before_m"] == 200
    assert total["p90_after_m"] == 350
    assert total["share_beyond_before"] == 0 and total["share_beyond_after"] == 0


@pytest.mark.parametrize("group_by", ["imd_decile", "borough"])
def test_breakdowns_sum_to_totals(case: tuple[eo.Instance, eo.Plan], group_by: str) -> None:
    acc = access(*case)
    total, parts = acc.by("total"), acc.by(group_by)
    for column in ("population", "person_m_before", "person_m_after", "beyond_reach_before",
                   "beyond_reach_after"):  # fmt: skip
        assert parts[column].sum() == pytest.approx(total[column].sum())
    weighted = (parts["avg_after_m"] * parts["population"]).sum() / parts["population"].sum()
    assert weighted == pytest.approx(total["avg_after_m"].iloc[0])
    decile = acc.by("imd_decile").set_index("group")
    assert decile.loc["1", "avg_before_m"] == pytest.approx((100_000 + 600_000) / 4000)
    assert decile.loc["5", "avg_change_m"] == pytest.approx(300)


def test_beyond_reach_before() -> None:
    # Z2 has no site hosting gp today within reach; a new build at P (ready in period 1)
    # serves it after, so 500 of 1,500 residents were beyond reach before and none after.
    from small import project

    inst = instance(
        [site("A", capacity_m2=100, disposable=False), site("P", services="")],
        [zone("Z1"), zone("Z2", population=500)],
        [project("NB", "P", kind="new_build", added_capacity_m2=100)],
        travel=travel(("Z1", "A", 0), ("Z2", "P", 10)),
        services={"gp": GP},
    )
    plan = solve_checked(inst)
    total = access(inst, plan).by("total").iloc[0]
    assert total["beyond_reach_before"] == 500
    assert total["share_beyond_before"] == pytest.approx(1 / 3)
    assert total["beyond_reach_after"] == 0


def test_weighted_quantile_lower_inverse() -> None:
    values = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(values, np.array([1.0, 1.0, 1.0]), 0.5) == 2.0
    assert np.isnan(weighted_quantile(values, np.zeros(3), 0.9))
