"""Issue 4: OR-Library capacitated warehouse location through the public pipeline.

The mapping of :mod:`estates_opt.sources.orlib` (T = 1, warehouses as disposable
sites whose running cost is the fixed cost, customers as zones, ``travel.csv`` with
``distance_m = 1000 c_ij / d_j`` and 1 GBP per resident-km) makes
``NPV = sum_i f_i * closed_i - sum_ij c_ij x_ij``, so

    published optimum = sum of fixed costs - optimal NPV.

Every instance goes files -> ``read_instance`` -> ``solve``; a few go through the
``estates-opt solve`` command line. Optima: ``../shared/data/orlib/SOURCE.md``
(OR-Library ``capopt``). capa/capb/capc are a separate performance issue.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import estates_opt as eo
import estates_opt.cli
from estates_opt.sources.orlib import orlib_cap_instance, read_orlib_cap

OPTIMA = {
    "cap41": 1040444.375, "cap42": 1098000.450, "cap43": 1153000.450, "cap44": 1235500.450,
    "cap51": 1025208.225,
    "cap61": 932615.750, "cap62": 977799.400, "cap63": 1014062.050, "cap64": 1045650.250,
    "cap71": 932615.750, "cap72": 977799.400, "cap73": 1010641.450, "cap74": 1034976.975,
    "cap81": 838499.288, "cap82": 910889.563, "cap83": 975889.563, "cap84": 1069369.525,
    "cap91": 796648.438, "cap92": 855733.500, "cap93": 896617.538, "cap94": 946051.325,
    "cap101": 796648.437, "cap102": 854704.200, "cap103": 893782.112, "cap104": 928941.750,
    "cap111": 826124.713, "cap112": 901377.213, "cap113": 970567.750, "cap114": 1063356.488,
    "cap121": 793439.563, "cap122": 852524.625, "cap123": 895302.325, "cap124": 946051.325,
    "cap131": 793439.562, "cap132": 851495.325, "cap133": 893076.712, "cap134": 928941.750,
}  # fmt: skip
THROUGH_CLI = ["cap41", "cap71", "cap101", "cap131"]
REL = 1e-8  # optima printed to 3 decimals (796648.4375 as .437): up to 6.3e-10 relative


@pytest.fixture(scope="module")
def cap_dir(shared_data: Path) -> Path:
    return shared_data / "orlib" / "cap"


def test_read_cap41(cap_dir: Path) -> None:
    capacities, fixed, demands, costs = read_orlib_cap(cap_dir / "cap41.txt")
    assert capacities.shape == fixed.shape == (16,)
    assert demands.shape == (50,)
    assert costs.shape == (50, 16)
    assert (capacities[0], fixed[0], fixed[10]) == (5000.0, 7500.0, 0.0)
    assert demands[0] == 146.0
    assert costs[0, :2].tolist() == [6739.725, 10355.05]


def test_capacity_word_needs_a_capacity(cap_dir: Path) -> None:
    with pytest.raises(eo.InputError, match=r"capa\.txt.*the word 'capacity'; pass capacity="):
        read_orlib_cap(cap_dir / "capa.txt")
    capacities, fixed, _, costs = read_orlib_cap(cap_dir / "capa.txt", capacity=8000)
    assert (capacities == 8000).all()
    assert fixed[0] == 2141200.0
    assert costs.shape == (1000, 100)


def test_mapping_turns_distance_back_into_cost(cap_dir: Path) -> None:
    # travel cost of serving all of customer j at i: L * tau * pop_j * D_ij / 1000
    #   = 1 * 1 * d_j * (1000 c_ij / d_j) / 1000 = c_ij
    path = cap_dir / "cap41.txt"
    _, fixed, demands, costs = read_orlib_cap(path)
    inst = orlib_cap_instance(path)
    travel = inst.travel.pivot(index="zone_id", columns="site_id", values="distance_m")
    travel = travel.loc[inst.zones["zone_id"], inst.sites["site_id"]].to_numpy()
    np.testing.assert_allclose(demands[:, None] * travel / 1000.0, costs, rtol=1e-12)
    np.testing.assert_array_equal(inst.sites["running_cost"], fixed)
    service = inst.scenario.services["warehouse"]
    assert (service.space_per_1000, service.travel_cost_per_person_km) == (1000.0, 1.0)
    assert service.max_distance_m == float("inf")
    assert inst.scenario.periods == 1


@pytest.mark.parametrize("name", list(OPTIMA))
def test_published_optimum(name: str, cap_dir: Path, tmp_path: Path) -> None:
    path = cap_dir / f"{name}.txt"
    _, fixed, _, _ = read_orlib_cap(path)
    eo.write_instance(orlib_cap_instance(path), tmp_path / name)
    inst = eo.read_instance(tmp_path / name)
    plan = eo.solve(inst, mip_gap=1e-9)
    assert plan.status is eo.Status.OPTIMAL
    assert fixed.sum() - plan.objective == pytest.approx(OPTIMA[name], rel=REL)
    report = eo.check(inst, plan)
    assert report.ok, str(report)


@pytest.mark.parametrize("name", THROUGH_CLI)
def test_published_optimum_through_cli(name: str, cap_dir: Path, tmp_path: Path) -> None:
    path = cap_dir / f"{name}.txt"
    _, fixed, _, _ = read_orlib_cap(path)
    folder = eo.write_instance(orlib_cap_instance(path), tmp_path / name)
    assert "max_distance_m = inf" in (folder / "scenario.toml").read_text()  # unlimited reach
    out = tmp_path / "out"
    code = estates_opt.cli.main(
        ["-q", "solve", str(folder), "--out", str(out), "--mip-gap", "1e-9"]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert fixed.sum() - summary["objective"] == pytest.approx(OPTIMA[name], rel=REL)
    assert eo.check(eo.read_instance(folder), out).ok
