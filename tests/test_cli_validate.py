"""``estates-opt validate DIR`` and estates_opt.describe."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import estates_opt.cli
from estates_opt.describe import describe
from estates_opt.io import read_instance
from estates_opt.io.scenario_file import scenario_to_toml
from estates_opt.scenario import Scenario, Service
from estates_opt.status import EXIT_BAD_INPUT

SITES_CSV = """\
site_id,name,borough,owner,x,y,capacity_m2,running_cost,backlog_cost,market_value,housing_units,disposable,earliest_disposal,services
S1,Centre,E09000007,NHSPS,0,0,1000,100000,50000,3000000,10,true,1,gp;community
S2,Clinic,E09000007,council,1000,0,500,60000,10000,1000000,5,true,1,gp
S3,Plot,E09000019,council,20000,0,0,0,0,2000000,30,true,1,
"""
ZONES_CSV = """\
zone_id,borough,x,y,population
Z1,E09000007,500,0,2000
Z2,E09000019,20000,100,1000
Z3,E09000019,50000,0,0
"""
PROJECTS_CSV = """\
project_id,site_id,kind,capex,added_capacity_m2,services,running_cost_delta,build_periods
P1,S3,new_build,4000000,800,gp,50000,1
"""
SCENARIO = Scenario(
    periods=3,
    growth_per_year=0.1,
    services={"gp": Service(80.0, 2000.0), "community": Service(50.0, 3000.0)},
)


def make_folder(path: Path, **files: str) -> Path:
    path.mkdir()
    contents = {
        "sites.csv": SITES_CSV,
        "zones.csv": ZONES_CSV,
        "projects.csv": PROJECTS_CSV,
        "scenario.toml": scenario_to_toml(SCENARIO),
        **{name.replace("_", "."): text for name, text in files.items()},
    }
    for name, text in contents.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cli() -> object:
    """``estates_opt.cli.main``: the command line as a function returning the exit code."""
    return estates_opt.cli.main


def test_describe_tiny(tmp_path: Path) -> None:
    summary = describe(read_instance(make_folder(tmp_path / "tiny")))
    assert summary["sites"] == 3 and summary["zones"] == 3 and summary["projects"] == 1
    assert summary["capacity_m2"] == 1500.0
    assert summary["market_value"] == 6_000_000.0
    assert summary["housing_units"] == 45.0
    assert summary["category_column"] == "owner"
    by_borough = summary["sites_by_borough"]
    assert by_borough.loc["E09000007", "sites"] == 2
    assert by_borough.loc["Total", "running_cost"] == 160_000.0
    assert summary["sites_by_category"].loc["E09000019", "council"] == 1
    demand = summary["demand_by_service"]
    # gp: 3000 residents * 80 / 1000 = 240 m2 in period 1, * 1.1 ** 2 in period 3.
    assert demand.loc["gp", "demand_m2_p1"] == pytest.approx(240.0)
    assert demand.loc["gp", "demand_m2_p3"] == pytest.approx(240.0 * 1.21)
    assert demand.loc["gp", "sites_hosting_now"] == 2 and demand.loc["gp", "sites_able"] == 3
    assert summary["demand_m2_p1"] == pytest.approx(240.0 + 150.0)
    # Z1 is reached by S1/S2 for both services; Z2 only by S3's project for gp (not
    # community); Z3 has no population so needs nothing.
    unreached = summary["zones_out_of_reach"]
    assert unreached.to_dict("records") == [
        {"zone_id": "Z2", "borough": "E09000019", "service": "community", "population": 1000.0}
    ]
    assert demand.loc["community", "zones_out_of_reach"] == 1
    assert demand.loc["gp", "population_out_of_reach"] == 0.0


def test_describe_uses_site_type_when_present(tmp_path: Path) -> None:
    sites = SITES_CSV.replace(",services\n", ",services,site_type\n", 1)
    sites = sites.replace("community\n", "community,health centre\n").replace(",gp\n", ",gp,gp\n")
    sites = sites.replace("30,true,1,\n", "30,true,1,,land\n")
    summary = describe(read_instance(make_folder(tmp_path / "t", sites_csv=sites)))
    assert summary["category_column"] == "site_type"
    assert summary["sites_by_category"].loc["Total", "land"] == 1


def test_validate_prints_the_summary(
    tmp_path: Path, cli: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(["validate", str(make_folder(tmp_path / "tiny"))])  # type: ignore[operator]
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("valid: tiny")
    for title in ["Sites by borough", "Demand by service", "Zones with no site in reach"]:
        assert title in out
    assert "Z2" in out and "Traceback" not in out + err


def test_validate_bad_cell_exits_2_with_the_message(
    tmp_path: Path, cli: object, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path / "bad", sites_csv=SITES_CSV.replace(",500,", ",-250,"))
    code = cli(["validate", str(folder)])  # type: ignore[operator]
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT == 2
    assert err.strip() == (
        "error: sites.csv, row 2, column capacity_m2: expected a finite number >= 0, got '-250'."
    )
    assert out == "" and "Traceback" not in err


def test_validate_missing_folder_exits_2(
    tmp_path: Path, cli: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(["validate", str(tmp_path / "nope")])  # type: ignore[operator]
    _, err = capsys.readouterr()
    assert code == 2
    assert "expected an instance folder, found nothing." in err and "Traceback" not in err


def test_validate_runs_as_a_module(tmp_path: Path) -> None:
    import subprocess

    folder = make_folder(tmp_path / "bad", zones_csv=ZONES_CSV.replace("2000", "lots"))
    done = subprocess.run(
        [sys.executable, "-m", "estates_opt", "validate", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "zones.csv, row 1, column population: expected a finite number >= 0, got 'lots'." in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_describe_scales_to_a_borough_estate() -> None:
    """2,500 sites x 1,000 zones: builds the summary (timed by eye, not asserted)."""
    rng = np.random.default_rng(7)
    n_sites, n_zones = 2500, 1000
    from estates_opt.instance import validate_instance_frames

    sites = pd.DataFrame(
        {
            "site_id": [f"S{i}" for i in range(n_sites)],
            "borough": rng.choice(["A", "B", "C"], n_sites),
            "x": rng.uniform(500_000, 560_000, n_sites),
            "y": rng.uniform(160_000, 200_000, n_sites),
            "capacity_m2": rng.uniform(0, 3000, n_sites),
            "running_cost": 1e5,
            "backlog_cost": 0.0,
            "market_value": 1e6,
            "housing_units": 10.0,
            "disposable": True,
            "services": rng.choice(["gp", "gp;community", ""], n_sites),
        }
    )
    zones = pd.DataFrame(
        {
            "zone_id": [f"Z{i}" for i in range(n_zones)],
            "borough": "A",
            "x": rng.uniform(500_000, 560_000, n_zones),
            "y": rng.uniform(160_000, 200_000, n_zones),
            "population": 1500.0,
        }
    )
    inst = validate_instance_frames(
        sites=sites, zones=zones, projects=None, travel=None, scenario=SCENARIO, name="big"
    )
    summary = describe(inst)
    assert summary["sites"] == n_sites
    assert summary["demand_by_service"].loc["gp", "demand_m2_p1"] == pytest.approx(
        n_zones * 1500 * 80 / 1000
    )
