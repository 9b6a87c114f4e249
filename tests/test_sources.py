"""Loaders of public sources: tiny hand-made fixtures, then the real shared files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from estates_opt.errors import InputError
from estates_opt.sources import (
    normalise_postcode,
    read_epraccur,
    read_eric_sites,
    read_gp_list_sizes,
    read_house_price_index,
    read_income_deciles,
    read_msoa_median_prices,
    read_nhs_choices_sites,
    read_population_points,
    read_postcode_points,
    read_sitrep_beds,
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


def test_eric_occupancy_beds_and_blanks():
    text = (
        "Site Code,Site Name,Site Type,Gross internal floor area (m²),Occupied floor area (m²),"
        "Floor area - empty (%),Floor area - under used (%),Available beds (No.),"
        "Cost to eradicate high risk backlog (£),Cost to eradicate low risk backlog (£),"
        "Energy costs (all energy supplies) (£)\n"
        "RRP03,ST. ANN'S HOSPITAL,4. Mental Health,14155,12440,1.5,2,70,0,100,5\n"
        "RYX24,EDGWARE,7. Community hospital,34884,5935,,,,,,\n"
    )
    sites = read_eric_sites(io.StringIO(text))
    ann, edgware = sites.iloc[0], sites.iloc[1]
    assert (ann.occupied_m2, ann.empty_share, ann.underused_share, ann.beds) == (
        12440.0, 0.015, 0.02, 70.0,
    )  # fmt: skip
    assert ann.backlog_reported and ann.running_reported and ann.backlog_cost == 100.0
    assert not edgware.backlog_reported and not edgware.running_reported
    assert edgware.backlog_cost == 0.0 and np.isnan(edgware.empty_share)  # blank is not 0 here


def test_nhs_choices_gp_reprojects_lon_lat():
    sites = read_nhs_choices_sites(FIXTURES / "nhs_choices_gp.csv")
    assert sites["site_type"].tolist() == ["gp_practice", "gp_branch", "gp_practice"]
    assert (sites["owner"] == "").all()  # a commissioner owns no premises
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
    assert (everything["owner"] == "").all() and everything["commissioner_code"].ne("").all()


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


def test_gp_list_sizes_postcode_point_first():
    gp = read_gp_list_sizes(FIXTURES / "gp_list_2026.csv")
    assert gp["practice_code"].tolist() == ["E83003", "F83006", "Y99999"]
    assert gp["list_size"].iloc[:2].tolist() == [10499.0, 15485.0]  # thousands separator
    assert np.isnan(gp["list_size"].iloc[2]) and np.isnan(gp["x"].iloc[2])
    assert gp["point_source"].tolist() == ["postcode", "ods2025", ""]
    assert (gp["x"].iloc[0], gp["y"].iloc[1]) == (527543.0, 183300.0)
    assert gp["name"].iloc[0] == "Oakleigh Road Health Centre"


def test_postcode_points_gzip_and_normalised():
    points = read_postcode_points(FIXTURES / "codepoint.csv.gz")
    assert points.loc["N19 5NX", ["x", "y", "borough"]].tolist() == [528852.0, 186939.0,
                                                                    "E09000007"]  # fmt: skip
    assert normalise_postcode(" en20jb ") == "EN2 0JB" and "EN2 0JB" in points.index


def test_house_prices_msoa_medians_and_index():
    prices = read_msoa_median_prices(FIXTURES / "msoa_prices.csv")
    assert prices.loc["E02000001"] == 830_000.0 and np.isnan(prices.loc["E02000002"])
    september = read_msoa_median_prices(FIXTURES / "msoa_prices.csv", "Year ending Sep 2017")
    assert september.tolist() == [800_000.0, 250_000.0]
    hpi = read_house_price_index(FIXTURES / "ukhpi.csv")
    assert hpi["index"].tolist() == [110.5, 112.0] and hpi["price"].iloc[0] == 800_000.5
    with pytest.raises(InputError, match="Year ending Dec 2099"):
        read_msoa_median_prices(FIXTURES / "msoa_prices.csv", "Year ending Dec 2099")


def test_sitrep_beds():
    beds = read_sitrep_beds(FIXTURES / "sitrep_beds.csv")
    assert beds["beds_available"].tolist() == [1500.0, 1510.0]
    assert np.isnan(beds["beds_occupied"].iloc[1])


def test_real_gp_lists_codepoint_prices_and_beds(shared_data):
    ncl = read_gp_list_sizes(
        shared_data / "gp-registered-patients/gp_reg_pat_prac_all_2026-04_ncl.csv"
    )
    assert len(ncl) == 174 and ncl["list_size"].sum() == 1_815_221 and ncl["x"].notna().all()
    london = read_gp_list_sizes(
        shared_data / "gp-registered-patients/gp_reg_pat_prac_all_2022-05_london.csv"
    )
    assert len(london) == 1188 and london["list_size"].sum() == 10_669_364
    points = read_postcode_points(
        shared_data / "london-postcodes-codepoint-2025/london_postcodes_codepoint_2025-10.csv.gz"
    )
    assert len(points) == 180_792 and points.loc["BR1 1AA", "x"] == 540291.0
    prices = read_msoa_median_prices(
        shared_data / "london-house-prices/gla_msoa11_median_house_price_1995-2017.csv"
    )
    assert len(prices) == 983 and prices.notna().sum() > 970
    beds = read_sitrep_beds(
        shared_data
        / "nhs-acute-beds-sitrep/nhse_sitrep_ga_critical_care_beds_by_trust_2022-04_2025-08.csv"
    )
    assert len(beds) == 5557 and (beds["trust_code"] == "RAL").any()
