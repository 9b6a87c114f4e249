"""Issue 16: a model too large for the machine is refused before it is built, and the
build counts against the time limit."""

from __future__ import annotations

import importlib
import time

import numpy as np
import pandas as pd
import pytest

import estates_opt as eo
from estates_opt.model.build import build_model
from estates_opt.model.size import BASE_BYTES, BYTES_PER_VARIABLE, check_fits, model_size
from tests.small import GP, instance, project, site, travel, zone

solve_module = importlib.import_module("estates_opt.optimize.solve")  # the module, not eo.solve


def test_arc_count_equals_the_built_arcs() -> None:
    # A at 0 km, B at 2 km, C at 6 km from Z (x = 0); reach 5 km: arcs Z-A and Z-B.
    # P adds gp at C, which is out of reach: still no arc.
    sites = [
        site("A", x=0.0, capacity_m2=100),
        site("B", x=2_000.0, capacity_m2=100),
        site("C", x=6_000.0, capacity_m2=100, services=""),
    ]
    reach = eo.Service(GP.space_per_1000, 5_000.0, 1.0)
    inst = instance(sites, [zone("Z")], [project("P", "C")], services={"gp": reach}, periods=2)
    size = model_size(inst)
    assert size.arcs == {"gp": 2}
    assert size.variables == 2 * 2 + (3 + 1) * 2  # x: 2 arcs x 2 periods; d and u
    assert len(build_model(inst).arcs) == 2


def test_arc_count_follows_travel_csv() -> None:
    sites = [site("A"), site("B")]
    pairs = travel(("Z", "A", 100.0), ("Z", "B", 60_000.0))  # B beyond the 50 km reach
    assert model_size(instance(sites, [zone("Z")], travel=pairs)).arcs == {"gp": 1}


def test_an_estate_beyond_the_memory_is_refused_with_what_to_change() -> None:
    # 20,000 sites x 5,000 zones with unlimited reach: 1e8 arcs, about 200 GB
    rng = np.random.default_rng(0)
    n_sites, n_zones = 20_000, 5_000
    sites = pd.DataFrame(
        [
            site(f"S{i}", x=float(x), y=float(y))
            for i, (x, y) in enumerate(rng.uniform(0, 5e4, (n_sites, 2)))
        ]
    )
    zones = pd.DataFrame([zone(f"Z{j}") for j in range(n_zones)])
    unlimited = eo.Service(GP.space_per_1000, float("inf"), 1.0)
    inst = eo.Instance.from_frames(
        sites, zones, eo.Scenario(periods=1, services={"gp": unlimited}), name="huge"
    )
    with pytest.raises(
        eo.InputError,
        match=r"about 100,020,000 variables \(gp 100,000,000 "
        r"zone-site arcs x 1 periods\) and need about 200\.6 GB",
    ):
        eo.solve(inst)  # refused before the build: building would need the 200 GB


def test_the_guard_compares_with_the_memory_given() -> None:
    inst = instance([site("A", capacity_m2=100)], [zone("Z")])
    size = check_fits(inst, memory=1e12)
    need = BASE_BYTES + BYTES_PER_VARIABLE * size.variables
    assert size.bytes == need
    with pytest.raises(
        eo.InputError, match=r"need about 0\.6 GB of memory; this machine has 0\.6 GB available"
    ):
        check_fits(inst, memory=need - 1)


def test_the_build_counts_against_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # the build is made to take at least 2 s (a sleep: at least, on any machine); the
    # backend must then be given at most 10 - 2 = 8 of the 10 s asked for
    given: list[float | None] = []
    real_build, real_run = solve_module.build_model, solve_module.run_backend

    def slow_build(inst: eo.Instance):  # type: ignore[no-untyped-def]
        time.sleep(2.0)
        return real_build(inst)

    def spy(backend, model, options, start):  # type: ignore[no-untyped-def]
        given.append(options.time_limit)
        return real_run(backend, model, options, start)

    monkeypatch.setattr(solve_module, "build_model", slow_build)
    monkeypatch.setattr(solve_module, "run_backend", spy)
    plan = eo.solve(instance([site("A", capacity_m2=100)], [zone("Z")]), time_limit=10.0)
    assert plan.status is eo.Status.OPTIMAL
    assert given and given[0] is not None and given[0] <= 8.0
