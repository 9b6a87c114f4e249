"""Issue 20: the Holmberg and TBED1 CFLP sets read and mapped like OR-Library.

``../shared/data/extra_cflp/SOURCE.md`` gives the layouts: Holmberg ``p<k>.txt`` is
facility-major with TOTAL costs; TBED1 ``.plc.gz`` puts customers first and has costs
PER UNIT of demand. Our model is multi-source, Holmberg's listed optima are
single-source (``optima/holmberg.csv``), so the proved optimum of p1 must lie between a
lower bound computed from the file and the listed value.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import estates_opt as eo
from estates_opt.errors import InputError
from estates_opt.sources.cflp import (
    cflp_instance,
    holmberg_instance,
    read_holmberg,
    read_tbed1,
    tbed1_instance,
)

P1_SINGLE_SOURCE = 8848.0  # optima/holmberg.csv, p1 (Holmberg, Ronnqvist and Yuan 1999)


def _extra(shared_data: Path) -> Path:
    folder = shared_data / "extra_cflp"
    if not folder.exists():
        pytest.skip(f"{folder} is not on this machine (public data for this test)")
    return folder


def _lower_bound(capacities: np.ndarray, fixed: np.ndarray, demands: np.ndarray,
                 costs: np.ndarray) -> float:  # fmt: skip
    """Every customer at its cheapest facility, plus the cheapest fractional fixed cost
    that covers the total demand (sum_i C_i y_i >= sum_j d_j): each part is a valid
    lower bound on its part of any multi-source plan, so their sum bounds the optimum."""
    allocation = costs.min(axis=1).sum()
    order = np.argsort(fixed / capacities)
    need, opening = demands.sum(), 0.0
    for i in order:
        take = min(1.0, need / capacities[i])
        opening += take * fixed[i]
        need -= take * capacities[i]
        if need <= 0:
            break
    return float(allocation + opening)


def test_holmberg_p1_multi_source_optimum_between_bounds(shared_data: Path) -> None:
    path = _extra(shared_data) / "holmberg" / "p1.txt"
    capacities, fixed, demands, costs = read_holmberg(path)
    assert (len(capacities), len(demands), costs.shape) == (10, 50, (50, 10))
    # first facility line "258 366"; customer 1's demand 49; facility-major cost rows
    assert (capacities[0], fixed[0], demands[0]) == (258.0, 366.0, 49.0)
    plan = eo.solve(holmberg_instance(path), mip_gap=1e-9)
    assert plan.status is eo.Status.OPTIMAL
    cost = fixed.sum() - plan.objective
    lower = _lower_bound(capacities, fixed, demands, costs)
    assert lower <= cost + 1e-6
    assert cost <= P1_SINGLE_SOURCE + 1e-6
    # the benchmarks' textbook model in plain HiGHS, an independent build, agrees
    from benchmarks.baseline_textbook import build_textbook, solve_textbook

    lp = build_textbook(capacities, fixed, demands, costs)
    textbook = solve_textbook(lp, float(fixed.sum()), mip_gap=1e-9, time_limit=600.0)
    assert textbook["status"] == "Optimal"
    assert textbook["cost"] == pytest.approx(cost, rel=1e-7)


def test_tbed1_i300_1_read_per_unit_costs(shared_data: Path) -> None:
    path = _extra(shared_data) / "tbed1" / "i300_1.plc.gz"
    capacities, fixed, demands, costs = read_tbed1(path)
    assert (len(capacities), len(demands), costs.shape) == (300, 300, (300, 300))
    # values read off the file: "300 300", demands 26 24 ... 32, capacities 100 ... 86,
    # fixed costs 551.869873 ... 315.274414, then facility 1's per-unit costs 3.324153 ...
    assert (demands[0], demands[1], demands[-1]) == (26.0, 24.0, 32.0)
    assert (capacities[0], capacities[-1]) == (100.0, 86.0)
    assert (fixed[0], fixed[-1]) == (551.869873, 315.274414)
    assert costs[0, 0] == pytest.approx(3.324153 * 26)  # per unit x demand: a total
    assert costs[1, 0] == pytest.approx(5.943904 * 24)


def test_small_files_orientation_and_mapping(tmp_path: Path) -> None:
    # 2 facilities x 3 customers; facility-major totals (Holmberg)
    holmberg = tmp_path / "p0.txt"
    holmberg.write_text("2 3\n10 5\n10 7\n1 2 3\n11 12 13\n21 22 23\n", encoding="utf-8")
    capacities, fixed, demands, costs = read_holmberg(holmberg)
    assert costs[:, 0].tolist() == [11.0, 12.0, 13.0]  # facility 1 to customers 1..3
    # the same costs per unit in TBED1 layout: customers first
    per_unit = np.array([[11, 12 / 2, 13 / 3], [21, 22 / 2, 23 / 3]])
    tbed1 = tmp_path / "t.plc.gz"
    numbers = ["3 2", "1 2 3", "10 10", "5 7", *(" ".join(map(str, r)) for r in per_unit)]
    with gzip.open(tbed1, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(numbers))
    again = read_tbed1(tbed1)
    np.testing.assert_allclose(again[3], costs)
    inst = cflp_instance(capacities, fixed, demands, costs, "tiny")
    # serving customer 3 (demand 3) from W2 costs 23: distance 1000 * 23 / 3 m at 1 per km
    row = inst.travel.set_index(["zone_id", "site_id"]).loc[("C3", "W2"), "distance_m"]
    assert row == pytest.approx(1000 * 23 / 3)


def test_wrong_count_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "p9.txt"
    path.write_text("2 3\n10 5\n10 7\n1 2 3\n11 12 13\n21 22\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected 15 numbers, got 14"):
        read_holmberg(path)


def test_lagrangian_rule_sends_one_customer_per_site_to_highs(shared_data: Path) -> None:
    """TBED1 (300 sites, 300 customers) skips the Lagrangian phase; OR-Library capa
    (100 sites, 1,000 customers) keeps it (docs/decisions.md, issue 20)."""
    import sys

    from estates_opt.model.build import build_model
    from estates_opt.sources.orlib import orlib_cap_instance

    solve_module = sys.modules["estates_opt.optimize.solve"]
    tbed1 = build_model(tbed1_instance(_extra(shared_data) / "tbed1" / "i300_1.plc.gz"))
    assert not solve_module._worth_decomposing(tbed1)
    capa = shared_data / "orlib" / "cap" / "capa.txt"
    if capa.exists():
        assert solve_module._worth_decomposing(build_model(orlib_cap_instance(capa, 8000)))
