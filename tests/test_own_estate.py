"""An analyst's own tables: read_sites / read_zones from every format, then solve."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import estates_opt as eo
from estates_opt.io.postcodes import normalise_postcode, postcode_xy

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own_estate"
COLUMNS = {
    "Site code": "site_id", "Site name": "name", "Borough": "borough", "Owner": "owner",
    "Floor area (m2)": "capacity_m2", "Running cost (GBP/yr)": "running_cost",
    "Backlog (GBP)": "backlog_cost", "Market value (GBP)": "market_value",
    "Homes if sold": "housing_units", "Can be sold": "disposable", "Services": "services",
}  # fmt: skip
# Shapefile field names are at most 10 characters.
SHAPE_COLUMNS = {
    "SITE_ID": "site_id", "BOROUGH": "borough", "CAPACITY": "capacity_m2",
    "RUN_COST": "running_cost", "BACKLOG": "backlog_cost", "VALUE": "market_value",
    "HOMES": "housing_units", "DISPOSE": "disposable", "SERVICES": "services",
    "POSTCODE": "postcode",
}  # fmt: skip
SCENARIO = eo.Scenario(
    periods=3, capital_budget=2e6, receipts_target=10e6, housing_target=60,
    services={
        "primary_care": eo.Service(space_per_1000=80, max_distance_m=3500,
                                   travel_cost_per_person_km=2.0),
        "community": eo.Service(space_per_1000=30, max_distance_m=5000),
    },
)  # fmt: skip


def message(text: str) -> str:
    return "^" + re.escape(text) + "$"


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return pd.read_excel(EXAMPLE / "sites.xlsx")


def solve_small(sites: gpd.GeoDataFrame) -> eo.Plan:
    zones = eo.read_zones(EXAMPLE / "zones.csv")
    inst = eo.Instance.from_frames(sites, zones, SCENARIO, name="own estate")
    return eo.solve(inst, time_limit=30)


def test_postcodes_are_looked_up_in_any_spelling() -> None:
    x, y = postcode_xy(pd.Series(["br1 1aa", "BR11AA", "ZZ9 9ZZ"]))
    assert x.tolist()[:2] == [540291.0, 540291.0] and y.tolist()[:2] == [168873.0, 168873.0]
    assert x.isna().tolist() == [False, False, True]
    assert normalise_postcode(" ec1a  1bb ") == "EC1A 1BB"


def test_a_spreadsheet_with_postcodes_solves() -> None:
    sites = eo.read_sites(EXAMPLE / "sites.xlsx", columns=COLUMNS)
    assert sites.crs.to_epsg() == 27700
    assert sites.geometry.iloc[0].equals(shapely.Point(530011, 184240))  # NW1 9YJ
    assert sites["disposable"].tolist()[:3] == [False, True, True]  # "no"/"yes"
    plan = solve_small(sites)
    assert plan.status is eo.Status.OPTIMAL


def test_a_shapefile_with_postcodes_solves(tmp_path: Path, register: pd.DataFrame) -> None:
    """Points in lon/lat for some rows, a postcode only for others, 10-character names."""
    short = {model: name for name, model in SHAPE_COLUMNS.items()}
    frame = register.rename(columns=COLUMNS).rename(columns={**short, "Postcode": "POSTCODE"})
    frame = frame[list(SHAPE_COLUMNS)]
    x, y = postcode_xy(frame["POSTCODE"])
    points = gpd.GeoSeries.from_xy(x, y, crs=27700).to_crs(4326)
    points[5:] = None  # the last five only have a postcode
    layer = gpd.GeoDataFrame(frame, geometry=points, crs=4326)
    layer.to_file(tmp_path / "sites.shp", engine="pyogrio")
    sites = eo.read_sites(tmp_path / "sites.shp", columns=SHAPE_COLUMNS)
    assert sites.geometry.distance(gpd.GeoSeries.from_xy(x, y, crs=27700)).max() < 0.01
    assert solve_small(sites).status is eo.Status.OPTIMAL


@pytest.mark.parametrize("suffix", ["csv", "gpkg", "geojson"])
def test_other_formats_give_the_same_sites(
    tmp_path: Path, register: pd.DataFrame, suffix: str
) -> None:
    expected = eo.read_sites(EXAMPLE / "sites.xlsx", columns=COLUMNS)
    path = tmp_path / f"sites.{suffix}"
    if suffix == "csv":  # lon/lat columns instead of postcodes
        lonlat = expected.geometry.to_crs(4326)
        table = register.drop(columns="Postcode").assign(Longitude=lonlat.x, Latitude=lonlat.y)
        table.to_csv(path, index=False)
    else:
        table = gpd.GeoDataFrame(register.drop(columns="Postcode"), geometry=expected.geometry)
        table.to_file(path, engine="pyogrio")
    sites = eo.read_sites(path, columns=COLUMNS)
    assert sites["site_id"].tolist() == expected["site_id"].tolist()
    assert sites.geometry.distance(expected.geometry).max() < 0.1


def write_csv(tmp_path: Path, rows: dict[str, list[object]]) -> Path:
    path = tmp_path / "register.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


BASE = {
    "site_id": ["A", "B"], "borough": ["Camden", "Camden"], "capacity_m2": [100, 200],
    "running_cost": [1, 1], "backlog_cost": [0, 0], "market_value": [0, 0],
    "housing_units": [0, 0], "disposable": ["yes", "no"], "Postcode": ["NW1 9YJ", "N1C 4BH"],
}  # fmt: skip


def test_unknown_postcode(tmp_path: Path) -> None:
    path = write_csv(tmp_path, {**BASE, "Postcode": ["NW1 9YJ", "zz9 9zz"]})
    with pytest.raises(eo.InputError, match=message(
        "register.csv, row 2, column Postcode: expected a London postcode (OS Code-Point "
        "Open, October 2025), got 'zz9 9zz'; give x and y or lon and lat instead."
    )):  # fmt: skip
        eo.read_sites(path)


def test_row_without_a_place(tmp_path: Path) -> None:
    path = write_csv(tmp_path, {**BASE, "Postcode": ["", "N1C 4BH"]})
    with pytest.raises(eo.InputError, match=message(
        "register.csv, row 1, column Postcode: expected a place: x and y (EPSG:27700), lon "
        "and lat, a London postcode or a geometry, got none."
    )):  # fmt: skip
        eo.read_sites(path)


def test_bad_cell_is_named_by_the_files_column(tmp_path: Path) -> None:
    rows = {k: v for k, v in {**BASE, "Area": [100, -5]}.items() if k != "capacity_m2"}
    path = write_csv(tmp_path, rows)
    with pytest.raises(eo.InputError, match=message(
        "register.csv, row 2, column Area: expected a finite number >= 0, got '-5'."
    )):  # fmt: skip
        eo.read_sites(path, columns={"Area": "capacity_m2"})


def test_bad_easting(tmp_path: Path) -> None:
    path = write_csv(tmp_path, {**BASE, "Easting": ["530000", "n/a"], "Northing": [1, 2]})
    with pytest.raises(eo.InputError, match=message(
        "register.csv, row 2, column Easting: expected a number, got 'n/a'."
    )):  # fmt: skip
        eo.read_sites(path)


def test_mapping_names_a_missing_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, BASE)
    with pytest.raises(eo.InputError, match=message(
        "register.csv, column Floor area: expected a column 'Floor area' (for capacity_m2), "
        "got none."
    )):  # fmt: skip
        eo.read_sites(path, columns={"Floor area": "capacity_m2"})


def test_mapping_to_an_unknown_model_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, BASE)
    with pytest.raises(eo.InputError, match=re.escape(
        "register.csv, column borough: expected a column of sites ("
    ) + ".*got 'area'.$"):  # fmt: skip
        eo.read_sites(path, columns={"borough": "area"})


def test_missing_sheet_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(eo.InputError, match=message(
        "sites.xlsx: expected a sheet named 'Register', got sheets Sites."
    )):  # fmt: skip
        eo.read_sites(EXAMPLE / "sites.xlsx", sheet="Register")
    (tmp_path / "sites.ods").write_text("x")
    with pytest.raises(eo.InputError, match=message(
        "sites.ods: expected a .csv, .xlsx, .gpkg, .geojson or .shp file, got '.ods'."
    )):  # fmt: skip
        eo.read_sites(tmp_path / "sites.ods")
    with pytest.raises(eo.InputError, match=message(
        f"nothing.csv: file not found in {tmp_path}."
    )):  # fmt: skip
        eo.read_zones(tmp_path / "nothing.csv")


def test_zones_from_lon_lat(tmp_path: Path) -> None:
    row = {"zone_id": ["Z1"], "borough": ["Camden"], "population": [10]}
    path = write_csv(tmp_path, {**row, "lon": [0.015415], "lat": [51.401546]})
    zones = eo.read_zones(path)
    assert (round(zones.geometry.x[0]), round(zones.geometry.y[0])) == (540291, 168873)
    path = write_csv(tmp_path, {**row, "lon": [51.4], "lat": [95.0]})
    with pytest.raises(eo.InputError, match=message(
        "register.csv, row 1, column lon: expected longitude and latitude in degrees, got "
        "51.4, 95."
    )):  # fmt: skip
        eo.read_zones(path)
