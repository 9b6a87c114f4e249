"""Sample estates: committed folders, rebuild from ../shared/data, CLI round trip."""

from __future__ import annotations

import filecmp

import pytest

from estates_opt.cli import main
from estates_opt.datasets import build_sample, data_dir, load_sample, sample_names
from estates_opt.datasets.build import LONDON_BOROUGHS, NCL_BOROUGHS
from estates_opt.instance import split_services
from estates_opt.io import read_instance, write_instance
from estates_opt.testing import assert_instance_equal

FILES = ("sites.csv", "zones.csv", "projects.csv", "scenario.toml")


@pytest.fixture(scope="module", params=sample_names())
def built(request, shared_data, tmp_path_factory):
    """(name, rebuilt folder) for each sample."""
    name = request.param
    out = tmp_path_factory.mktemp(name) / name
    write_instance(build_sample(name, shared_data), out)
    return name, out


def test_sample_names():
    assert sample_names() == ("ncl_pilot", "london")


def test_unknown_sample_is_a_key_error():
    with pytest.raises(KeyError, match="unknown sample 'leeds'"):
        load_sample("leeds")


@pytest.mark.parametrize("name", sample_names())
def test_committed_folder_has_only_instance_files(name):
    assert sorted(p.name for p in (data_dir() / name).iterdir()) == sorted(FILES)


def test_rebuild_equals_committed_files(built):
    name, out = built
    for file in FILES:
        assert filecmp.cmp(out / file, data_dir() / name / file, shallow=False), file
    assert_instance_equal(read_instance(out), load_sample(name))


@pytest.mark.parametrize(
    ("name", "zones", "population", "boroughs"),
    [
        ("ncl_pilot", 164, 1_410_212, NCL_BOROUGHS),
        ("london", 1_002, 8_799_687, LONDON_BOROUGHS),
    ],
)
def test_sample_counts(name, zones, population, boroughs):
    inst = load_sample(name)
    assert len(inst.zones) == zones
    assert int(inst.zones["population"].sum()) == population
    assert sorted(inst.zones["borough"].unique()) == boroughs
    assert sorted(inst.sites["borough"].unique()) == boroughs  # every borough has sites
    assert inst.zones["imd_decile"].astype(int).between(1, 10).all()


@pytest.mark.parametrize("name", sample_names())
def test_acute_cores_are_not_disposable(name):
    sites = load_sample(name).sites
    acute = sites["site_type"].isin(["acute_hospital", "specialist_hospital"])
    assert acute.any() and not sites.loc[acute, "disposable"].any()
    assert sites.loc[sites["site_id"] == "RAL01", "name"].tolist() in ([], ["Royal Free Hospital"])


@pytest.mark.parametrize("name", sample_names())
def test_status_quo_capacity_covers_demand(name):
    """Hand check: per service, capacity of its hosts >= demand / U_max."""
    inst = load_sample(name)
    population = inst.zones["population"].sum()
    for k, service in inst.scenario.services.items():
        hosts = inst.sites["services"].map(lambda s, k=k: k in split_services(s))
        demand = population * service.space_per_1000 / 1000
        assert inst.sites.loc[hosts, "capacity_m2"].sum() * inst.scenario.utilisation_max >= demand


def test_cli_sample_writes_a_folder_that_reads_back_equal(tmp_path):
    out = tmp_path / "ncl"
    assert main(["-q", "sample", "ncl_pilot", "--out", str(out)]) == 0
    assert_instance_equal(read_instance(out), load_sample("ncl_pilot"))
    assert main(["-q", "sample", "ncl_pilot", "--out", str(out)]) != 0  # not empty


@pytest.mark.slow
def test_ncl_plan_meets_its_targets():
    """The NCL targets can be met: the solver finds a plan with receipts and homes >= target."""
    import estates_opt

    inst = load_sample("ncl_pilot")
    plan = estates_opt.solve(inst, mip_gap=1e-4, time_limit=120)
    assert plan.status.has_solution
    assert plan.kpis["receipts"] >= inst.scenario.receipts_target
    assert plan.kpis["housing_units"] >= inst.scenario.housing_target
