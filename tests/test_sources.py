"""Loaders of public sources: tiny hand-made fixtures, then the real shared files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from estates_opt.errors import InputError
from estates_opt.sources import (
    read_epraccur,
    read_eric_sites,
    read_income_deciles,
    read_nhs_choices_sites,
    read_population_points,
)
from estates_opt.sources._common import SITE_COLUMNS
from estates_opt.sources.eric import classify_site_type

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def test_eric_2016_17_sums_costs_and_backlog():
    sites = read_eric_sites(FIXTURES / "eric_2016_17_site.csv")
    assert list(sites.columns[: len(SITE_COLUMNS)]) == list(SITE_COLUMNS)
    assert sites["site_id"].tolist() == ["RAL01", "TAF72"]  # AGGRE row dropped
    ral = sites.iloc[0]
    # hard 500 + 100 + 100 - 200; soft 300 + 400 + 100 + 100 + 100; energy 2000;
    # rest: finance 1000 + water 300 + sewage 200 + landfill 700.
    assert (ral.hard_fm_cost, ral.soft_fm_cost, ral.energy_cost, ral.other_cost) == (
        500.0, 1000.0, 2000.0, 2200.0,
    )  # fmt: skip
    assert ral.running_cost == 5700.0
    assert ral.backlog_cost == 1000.0
    assert not ral.disposable and ral.services == "community"
    assert (ral.x, ral.y, ral.borough) == (527298.0, 185433.0, "E09000007")
    taf = sites.iloc[1]
    assert taf.disposable and taf.services == "mental_health"
    assert np.isnan(taf.x) and np.isnan(taf.market_value)
    assert taf.running_cost == 15.0 and taf.backlog_cost == 0.0


def test_eric_keeps_aggregate_rows_on_request():
    sites = read_eric_sites(FIXTURES / "eric_2016_17_site.csv", include_aggregate=True)
    assert sites["site_id"].tolist() == ["RAL01", "TAF72", "AGGRE"]
    assert sites.loc[2, "services"] == ""


def test_eric_2014_15_uses_first_of_repeated_headers():
    ral = read_eric_sites(FIXTURES / "eric_2014_15_site.csv").iloc[0]
    assert ral.hard_fm_cost == 100.0 and ral.soft_fm_cost == 200.0  # not the __2 99999
    assert ral.running_cost == 100 + 200 + 400 + 300 + 50 + 50
    assert ral.gia_m2 == 140_000.0 and ral.backlog_cost == 10.0


def test_eric_2013_14_layout_without_fm_columns():
    ral = read_eric_sites(FIXTURES / "eric_2013_14_site.csv").iloc[0]
    assert ral.hard_fm_cost == 0.0 and ral.running_cost == 500.0
    assert ral.gia_m2 == 140_000.0  # thousands separator read
    assert ral.backlog_cost == 8.0  # blank significant-risk cell counts as 0


@pytest.mark.parametrize(
    ("site_type", "services", "acute"),
    [
        ("1. General acute hospital", "community", True),
        ("SPECIALIST HOSPITAL", "community", True),
        ("Mixed service hospital", "community;mental_health", False),
        ("LONG STAY HOSPITAL", "mental_health", False),
        ("7. Community hospital (with inpatient beds)", "community", False),
        ("Aggregate Site", "", False),
    ],
)
def test_eric_site_types_of_every_year(site_type, services, acute):
    assert classify_site_type(site_type) == (services, acute)


def test_eric_missing_site_code_column_names_the_file():
    with pytest.raises(InputError, match=r"eric\.csv: expected one of the columns 'Site Code'"):
        read_eric_sites(FIXTURES / "eric.csv")


def test_nhs_choices_gp_reprojects_lon_lat():
    sites = read_nhs_choices_sites(FIXTURES / "nhs_choices_gp.csv")
    assert sites["site_type"].tolist() == ["gp_practice", "gp_branch", "gp_practice"]
    branch = sites.iloc[1]
    assert branch.x == pytest.approx(530448.3, abs=1) and branch.y == pytest.approx(185131.2, abs=1)
    assert np.isnan(sites.iloc[2].x)


def test_epraccur_active_gp_practices_only():
    sites = read_epraccur(FIXTURES / "epraccur.csv")
    assert sites[["site_id", "name", "x", "borough"]].values.tolist() == [
        ["F83001", "Hanley Road Surgery", 530100.0, "E09000019"]
    ]
    everything = read_epraccur(FIXTURES / "epraccur.csv", active_only=False, gp_only=False)
    assert len(everything) == 3


def test_epraccur_headerless_joined_to_coordinates():
    coords = read_nhs_choices_sites(FIXTURES / "nhs_choices_gp.csv")
    coords.loc[2, ["x", "y", "borough"]] = [530500.0, 185500.0, "E09000019"]
    sites = read_epraccur(FIXTURES / "epraccur_headerless.csv", coords)
    assert sites[["site_id", "x", "y", "borough"]].values.tolist() == [
        ["F83003", 530500.0, 185500.0, "E09000019"]
    ]


def test_population_points_msoa_layout():
    zones = read_population_points(FIXTURES / "msoa_points.csv")
    assert zones.columns.tolist() == ["zone_id", "borough", "x", "y", "population", "name"]
    assert zones.loc[0].tolist() == ["E02000166", "E09000007", 529000.0, 184000.0, 8000.0,
                                     "Camden 001"]  # fmt: skip


def test_population_points_blank_point_names_row():
    text = (
        "LSOA21CD,LSOA21NM,LAD22CD,pwc_easting,pwc_northing,pop_total\n"
        "E01,A,E09,1,2,3\nE02,B,E09,,,4\n"
    )
    with pytest.raises(InputError, match="row 2"):
        read_population_points(io.StringIO(text))


def test_income_deciles_from_england_and_wales_ranks():
    deciles = read_income_deciles(FIXTURES / "lsoa11_iod.csv")
    assert deciles["income_decile"].tolist() == [1, 10, 5]


def test_income_rank_out_of_range_is_an_input_error():
    text = "LSOA11CD,iod2019_income_rank\nE01,0\n"
    with pytest.raises(InputError, match="column iod2019_income_rank: expected a rank"):
        read_income_deciles(io.StringIO(text))


def test_real_eric_2016_17(shared_data):
    sites = read_eric_sites(shared_data / "nhs-eric-site-data/eric_2016_17_site_data.csv")
    assert len(sites) == 1213 - 172
    royal_free = sites.set_index("site_id").loc["RAL01"]
    assert royal_free.gia_m2 == 148398.0 and not royal_free.disposable
    assert (sites["running_cost"] >= 0).all() and (sites["backlog_cost"] >= 0).all()


@pytest.mark.parametrize("year", ["2013_14", "2014_15", "2015_16"])
def test_real_eric_older_years_read(shared_data, year):
    sites = read_eric_sites(shared_data / f"nhs-eric-site-data/eric_{year}_site_data.csv")
    assert len(sites) > 1000 and sites["site_id"].is_unique
    assert (sites["gia_m2"].fillna(0) >= 0).all()


def test_real_epraccur_and_msoa_points(shared_data):
    gps = read_epraccur(shared_data / "nhs-ods-epraccur-2019/epraccur_2019-12.csv")
    assert len(gps) == 6830
    zones = read_population_points(
        shared_data / "london-lsoa21-demand/msoa21_london_popweighted_points_census2021_pop.csv"
    )
    assert len(zones) == 1002 and int(zones["population"].sum()) == 8_799_687
