"""Scenario sweeps on Dask, cache, failures, frontiers, Monte Carlo and governance.

The instance is a cut of the known-answer instance p01 (every third zone, population
x3, two periods, five projects): each solve takes well under a second, and the
max-NPV plan delivers 157 homes while 200 homes are out of reach (infeasible).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import estates_opt as eo
from estates_opt.scenarios import (
    ScenarioSet,
    Variant,
    compare_governance,
    distance_frontier,
    housing_frontier,
    monte_carlo,
    read_scenario_set,
    run_scenarios,
    solve_variant,
)
from estates_opt.scenarios.run import KPI_COLUMNS, instance_hash
from estates_opt.scenarios.uncertainty import sample_variants

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def small(shared_instances: Path) -> eo.Instance:
    base = eo.read_instance(shared_instances / "p01")
    zones = base.zones.iloc[::3].copy()
    zones["population"] = zones["population"] * 3.0
    projects = base.projects[base.projects["project_id"].isin(["P04", "P05", "P06", "P07", "P09"])]
    scenario = base.scenario.replace(
        periods=2, floor_from_period=None, build=(), forbid=(), housing_target=0.0
    )
    return eo.Instance.from_frames(base.sites, zones, scenario, projects, name="p01_small")


@pytest.fixture(scope="module")
def client():
    """A two-process local cluster, closed at the end of the module."""
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as dask,
    ):
        yield dask


def _same(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-6)
    return a == b


GRID = {
    "housing_target": [0, 150, 200],
    "receipt_retention": [0.4, 1.0],
    "reach_factor": [0.9, 1.0],
    "sites.market_value": [0.8, 1.0],
}


def test_sweep_of_24_on_local_cluster_matches_serial_solves(small, client):
    scenarios = ScenarioSet.grid(**GRID)
    assert len(scenarios) == 24
    result = run_scenarios(small, scenarios, client=client, mip_gap=1e-6)
    table = result.table
    assert list(table["scenario"]) == [v.name for v in scenarios]
    assert set(table["status"]) == {"optimal", "infeasible"}
    assert (table.loc[table["housing_target"] == 200, "status"] == "infeasible").all()
    for variant, row in zip(scenarios, table.to_dict("records"), strict=True):
        serial = solve_variant(small, variant.params, mip_gap=1e-6)["row"]
        for column in ("status", "objective", *KPI_COLUMNS, "avg_distance_m"):
            assert _same(row.get(column), serial.get(column)), (variant.name, column)


def test_rerun_hits_the_cache(small, client, tmp_path):
    scenarios = ScenarioSet.grid(housing_target=[0, 150], receipt_retention=[0.4, 1.0])
    first = run_scenarios(small, scenarios, client=client, cache_dir=tmp_path, plans=True)
    assert not first.table["cached"].any()
    entries = sorted(tmp_path.glob("*.json"))
    assert len(entries) == 4
    assert "row" in json.loads(entries[0].read_text())  # JSON, never pickle
    second = run_scenarios(small, scenarios, client=client, cache_dir=tmp_path, plans=True)
    assert second.table["cached"].all()
    columns = ["scenario", "status", "objective", *KPI_COLUMNS]
    pd.testing.assert_frame_equal(first.table[columns], second.table[columns])
    assert set(second.plans) == set(first.plans)
    # a different solver option is a different cache entry
    third = run_scenarios(small, scenarios, client=client, cache_dir=tmp_path, mip_gap=1e-3)
    assert not third.table["cached"].any()


def test_failing_scenarios_are_reported_in_their_rows(small, client):
    scenarios = ScenarioSet.of(
        [
            {"name": "base"},
            {"name": "impossible", "housing_target": 1e6},
            {"name": "broken", "sites.market_value": -1.0},
            {"name": "no such column", "sites.no_column": 2.0},
        ]
    )
    table = run_scenarios(small, scenarios, client=client).table.set_index("scenario")
    assert table.loc["base", "status"] == "optimal"
    assert table.loc["impossible", "status"] == "infeasible"
    assert table.loc["broken", "status"] == "error"
    assert "market_value" in table.loc["broken", "error"]
    assert "no_column" in table.loc["no such column", "error"]


def test_variant_changes_reach_and_data(small):
    from estates_opt.scenarios import apply_variant

    varied = apply_variant(
        small,
        {
            "reach.primary_care": 1000.0,
            "sites.market_value": {"by": "borough", "factors": {"E09000007": 0.5}},
            "keep": ["S01"],
        },
    )
    assert varied.scenario.services["primary_care"].max_distance_m == 1000.0
    camden = small.sites["borough"] == "E09000007"
    np.testing.assert_allclose(
        varied.sites.loc[camden, "market_value"], small.sites.loc[camden, "market_value"] * 0.5
    )
    np.testing.assert_allclose(
        varied.sites.loc[~camden, "market_value"], small.sites.loc[~camden, "market_value"]
    )
    assert varied.scenario.keep == ("S01",)
    assert small.scenario.keep == ("S05",)  # the base is unchanged
    assert instance_hash(varied) != instance_hash(small)
    assert instance_hash(small) == instance_hash(
        eo.Instance.from_frames(
            small.sites, small.zones, small.scenario, small.projects, name="other"
        )
    )


def test_scenarios_toml(tmp_path):
    (tmp_path / "scenarios.toml").write_text(
        'include = ["sets/more.toml"]\n'
        "[grid]\nhousing_target = [0, 100]\nreach_factor = [0.8, 1.0]\n"
        '[[variant]]\nname = "low values"\n"sites.market_value" = 0.8\nkeep = ["S01"]\n'
    )
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "more.toml").write_text(
        '[[variant]]\nname = "tight"\ncapital_budget = 1.0e5\n'
    )
    scenarios = read_scenario_set(tmp_path / "scenarios.toml")
    assert [v.name for v in scenarios][-2:] == ["low values", "tight"]
    assert len(scenarios) == 6
    assert scenarios.variants[-2].params == {"sites.market_value": 0.8, "keep": ["S01"]}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[grid]\nhousing_targt = [0, 1]\n", "unknown key 'housing_targt'"),
        ("[grdi]\n", "unknown key 'grdi'"),
        ('[[variant]]\nname = "x"\nreach_factr = 1.0\n', "unknown key 'reach_factr'"),
        ('include = ["../outside.toml"]\n', "inside"),
        ('[[variant]]\nname = "a"\n[[variant]]\nname = "a"\n', "duplicate scenario names"),
    ],
)
def test_scenarios_toml_errors_name_the_key(tmp_path, text, match):
    (tmp_path / "outside.toml").write_text("")
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "scenarios.toml").write_text(text)
    with pytest.raises(eo.InputError, match=match):
        read_scenario_set(folder / "scenarios.toml")


def test_housing_frontier_is_monotone_and_every_plan_checks(small):
    frontier = housing_frontier(small, step=4, max_points=8, threads=1)
    table = frontier.table
    assert len(table) >= 3
    assert frontier.is_monotone()
    assert table["check_ok"].all()
    assert (np.diff(table["housing_units"]) > 0).all()
    assert (np.diff(table["objective"]) <= 1e-6).all()
    for eps, record in zip(table["epsilon"], frontier.plans, strict=True):
        target = 0.0 if pd.isna(eps) else float(eps)
        assert eo.check(small.with_scenario(housing_target=target), record).ok


def test_distance_frontier_is_monotone(small, tmp_path):
    frontier = distance_frontier(small, points=3, max_points=4, threads=1)
    table = frontier.table
    assert len(table) >= 2
    assert frontier.is_monotone()
    assert (np.diff(table["avg_distance_m"]) < 0).all()
    assert table["check_ok"].all()
    assert frontier.plot(tmp_path / "f.png").stat().st_size > 0


@pytest.fixture(scope="module")
def governable(small: eo.Instance) -> eo.Instance:
    """``small`` with community and social care offered in Islington too (in p01 only
    Camden sites host social care, so Islington cannot plan alone)."""
    sites = small.sites.copy()
    sites.loc[sites["site_id"] == "S03", "services"] = "primary_care;community;social_care"
    sites.loc[sites["site_id"] == "S04", "services"] = "primary_care;community"
    return eo.Instance.from_frames(sites, small.zones, small.scenario, small.projects)


def test_joint_planning_gain_is_never_negative(governable, client):
    result = compare_governance(governable, "borough", client=client)
    assert result.separate_feasible
    assert result.gain["objective"] >= -1e-6
    groups = result.groups.set_index("group")
    assert {"E09000007", "E09000019", "separate total", "joint", "gain"} <= set(groups.index)
    separate_total = groups.loc["separate total", "objective"]
    assert separate_total == pytest.approx(
        groups.loc[["E09000007", "E09000019"], "objective"].sum()
    )
    assert eo.check(governable, result.joint).ok
    assert not result.cross_boundary.empty  # Islington zones are served from Camden sites
    assert (result.cross_boundary["zone_group"] != result.cross_boundary["site_group"]).all()


def test_governance_reports_a_group_that_cannot_plan_alone(small, client):
    result = compare_governance(small, "borough", client=client)
    assert not result.separate_feasible
    assert result.gain["objective"] is None
    assert "E09000019" in result.message
    assert result.groups.set_index("group").loc["E09000019", "status"] == "infeasible"


def test_monte_carlo_is_seeded_and_regret_is_not_negative(small, client):
    distributions = {
        "market_value": {"dist": "normal", "mean": 1.0, "sd": 0.15, "by": "borough"},
        "projects.capex": {"dist": "uniform", "low": 0.9, "high": 1.2},
    }
    a = sample_variants(small, distributions, 4, seed=7)
    b = sample_variants(small, distributions, 4, seed=7)
    assert [v.params for v in a] == [v.params for v in b]
    result = monte_carlo(small, distributions, samples=4, seed=7, client=client)
    samples = result.samples
    assert len(samples) == 4
    feasible = samples["base_feasible"].fillna(False).astype(bool)
    assert (samples.loc[feasible, "regret"] >= -1e-4 * samples["objective"].abs().max()).all()
    assert samples["regret"].notna().sum() == feasible.sum()
    assert result.sites["disposed_share"].between(0, 1).all()
    assert set(result.robust_disposals) <= set(small.sites["site_id"])


def test_cli_sweep_uses_an_existing_scheduler(small, client, tmp_path):
    from estates_opt.cli import main

    folder = eo.write_instance(small, tmp_path / "inst")
    (folder / "scenarios.toml").write_text("[grid]\nhousing_target = [0, 200]\n")
    out = tmp_path / "out"
    code = main(
        [
            "-q",
            "sweep",
            str(folder),
            "--out",
            str(out),
            "--scheduler",
            client.scheduler.address,
            "--plans",
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["status"]) == ["optimal", "infeasible"]
    assert (out / "plans" / "housing_target=0" / "site_decisions.csv").exists()
    rerun = ["-q", "sweep", str(folder), "--out", str(out), "--scheduler", client.scheduler.address]
    assert main(rerun) == 2  # a previous sweep is replaced only with --overwrite
    again = main([*rerun, "--overwrite"])
    assert again == 0
    assert pd.read_csv(out / "sweep.csv")["cached"].all()


def test_variant_names():
    assert Variant.of(housing_target=1.5e5).name == "housing_target=150000"


@pytest.fixture(scope="module")
def ncl_borough() -> eo.Instance:
    """Camden, a borough of the NCL sample, with targets capped at what its sites give."""
    sample = Path(__file__).resolve().parents[1] / "data" / "ncl_pilot"
    part = eo.read_instance(sample).subset(["E09000007"], share_budget=False)
    free = part.sites[part.sites["disposable"]]
    return part.with_scenario(
        receipts_target=min(part.scenario.receipts_target, 0.5 * free["market_value"].sum()),
        housing_target=float(int(min(part.scenario.housing_target,
                                     0.5 * free["housing_units"].sum()))),
    )  # fmt: skip


def test_sweep_of_24_on_the_ncl_sample_matches_serial_solves(ncl_borough, client):
    target = ncl_borough.scenario.housing_target
    scenarios = ScenarioSet.grid(
        housing_target=[0.0, target, 1.5 * target],
        receipt_retention=[0.5, 1.0],
        reach_factor=[0.9, 1.0],
        **{"sites.market_value": [0.8, 1.0]},
    )
    assert len(scenarios) == 24
    result = run_scenarios(ncl_borough, scenarios, client=client, mip_gap=1e-6)
    table = result.table
    assert set(table["status"]) <= {"optimal", "infeasible"}
    assert (table["status"] == "optimal").sum() >= 12
    for variant, row in zip(scenarios, table.to_dict("records"), strict=True):
        serial = solve_variant(ncl_borough, variant.params, mip_gap=1e-6)["row"]
        for column in ("status", "objective", *KPI_COLUMNS):
            assert _same(row.get(column), serial.get(column)), (variant.name, column)
