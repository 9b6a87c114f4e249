"""Input rules of MODEL.md section 7 on in-memory tables (estates_opt.validate, .schema)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from estates_opt.errors import DataWarning, InputError
from estates_opt.instance import Instance, validate_instance_frames
from estates_opt.scenario import Scenario, Service
from estates_opt.schema import PROJECT_KINDS, SITES, TABLES
from estates_opt.testing import assert_instance_equal
from estates_opt.validate import MAX_PROBLEMS_PER_COLUMN

SCENARIO = Scenario(
    periods=2,
    services={"gp": Service(80.0, 2000.0), "community": Service(50.0, 3000.0)},
)


def raw_tables() -> dict[str, pd.DataFrame]:
    """Three sites (one a candidate), two zones, two projects, as all-text frames."""
    sites = pd.DataFrame(
        {
            "site_id": ["S1", "S2", "S3"],
            "name": ["Centre 1", "Hospital", ""],
            "borough": ["E09000007", "E09000019", "E09000019"],
            "owner": ["NHSPS", "Trust", ""],
            "x": ["529000.5", "530000", "531000"],
            "y": ["182000", "183000.25", "181000"],
            "capacity_m2": ["1500", "4000", "0"],
            "running_cost": ["250000", "900000", "0"],
            "backlog_cost": ["100000", "0", "0"],
            "market_value": ["6000000", "0", "2500000"],
            "housing_units": ["20", "0", "12"],
            "disposable": ["true", "FALSE", "1"],
            "earliest_disposal": ["2", "1", ""],
            "services": ["gp;community", "gp", ""],
            "site_type": ["health centre", "acute", "land"],
        }
    )
    zones = pd.DataFrame(
        {
            "zone_id": ["Z1", "Z2"],
            "borough": ["E09000007", "E09000019"],
            "x": ["529500", "530500"],
            "y": ["182500", "182000"],
            "population": ["1500", "2200"],
        }
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2"],
            "site_id": ["S3", "S1"],
            "kind": ["new_build", "extend"],
            "capex": ["5000000", "1200000"],
            "added_capacity_m2": ["1800", "400"],
            "services": ["gp;community", "gp"],
            "running_cost_delta": ["150000", "-2500.5"],
            "build_periods": ["1", "0"],
            "earliest_start": ["1", ""],
            "exclusive_group": ["", "g1"],
        }
    )
    travel = pd.DataFrame(
        {
            "zone_id": ["Z1", "Z1", "Z2"],
            "site_id": ["S1", "S2", "S2"],
            "distance_m": ["800", "1200.5", "950"],
        }
    )
    return {"sites": sites, "zones": zones, "projects": projects, "travel": travel}


def build(scenario: Scenario = SCENARIO, **changes: pd.DataFrame | None) -> Instance:
    tables: dict[str, pd.DataFrame | None] = {**raw_tables(), **changes}
    return validate_instance_frames(
        sites=tables["sites"],
        zones=tables["zones"],
        projects=tables["projects"],
        travel=tables["travel"],
        scenario=scenario,
        name="tiny",
    )


def with_cell(table: str, row: int, column: str, value: str) -> dict[str, pd.DataFrame]:
    """Keyword arguments for :func:`build` with one cell changed (row is 1-based)."""
    frame = raw_tables()[table]
    frame.loc[row - 1, column] = value
    return {table: frame}


def raises(message: str) -> pytest.RaisesContext[InputError]:
    return pytest.raises(InputError, match=re.escape(message))


# --- schema --------------------------------------------------------------------------


def test_schema_lists_every_column_once_with_a_doc() -> None:
    for table in TABLES.values():
        assert len(table.names) == len(set(table.names))
        assert all(col.doc for col in table.columns)
        assert all(col.type in (str, float, int, bool) for col in table.columns)
    assert SITES.names == [
        "site_id", "name", "borough", "owner", "x", "y", "capacity_m2", "running_cost",
        "backlog_cost", "market_value", "housing_units", "disposable", "earliest_disposal",
        "services",
    ]  # fmt: skip
    assert [c.name for c in SITES.columns if not c.required] == [
        "name", "owner", "earliest_disposal", "services",
    ]  # fmt: skip
    assert TABLES["projects"].column("earliest_start").default == 1


# --- a valid instance ----------------------------------------------------------------


def test_valid_raw_frames_become_typed_frames() -> None:
    inst = build()
    sites, zones, projects, travel = inst.sites, inst.zones, inst.projects, inst.travel
    assert isinstance(sites, gpd.GeoDataFrame) and isinstance(zones, gpd.GeoDataFrame)
    assert sites.crs.to_epsg() == 27700 and zones.crs.to_epsg() == 27700
    assert isinstance(sites.index, pd.RangeIndex)
    assert "x" not in sites.columns and "y" not in zones.columns
    assert sites.geometry.iloc[0].equals(Point(529000.5, 182000.0))
    assert sites["capacity_m2"].dtype == np.float64
    assert sites["earliest_disposal"].dtype == np.int64
    assert sites["disposable"].dtype == bool
    assert sites["disposable"].tolist() == [True, False, True]
    assert sites["earliest_disposal"].tolist() == [2, 1, 1]  # blank optional -> default 1
    assert sites["site_type"].tolist() == ["health centre", "acute", "land"]  # extra kept
    assert list(sites.columns)[-2:] == ["site_type", "geometry"]
    assert pd.api.types.is_string_dtype(sites["site_id"])
    assert projects["running_cost_delta"].tolist() == [150000.0, -2500.5]
    assert projects["earliest_start"].tolist() == [1, 1]
    assert projects["exclusive_group"].tolist() == ["", "g1"]
    assert projects["build_periods"].dtype == np.int64
    assert travel is not None and travel["distance_m"].tolist() == [800.0, 1200.5, 950.0]
    assert zones["population"].tolist() == [1500.0, 2200.0]


def test_optional_columns_and_files_may_be_missing() -> None:
    sites = raw_tables()["sites"].drop(columns=["name", "owner", "earliest_disposal", "services"])
    projects = raw_tables()["projects"].drop(columns=["earliest_start", "exclusive_group"])
    inst = build(sites=sites, projects=projects, travel=None)
    assert inst.sites["services"].tolist() == ["", "", ""]
    assert inst.sites["earliest_disposal"].tolist() == [1, 1, 1]
    assert inst.projects["exclusive_group"].tolist() == ["", ""]
    assert inst.travel is None
    no_projects = build(projects=None)
    assert len(no_projects.projects) == 0
    assert no_projects.projects["capex"].dtype == np.float64


def test_booleans_accept_true_false_1_0_in_any_case() -> None:
    sites = raw_tables()["sites"]
    sites["disposable"] = ["True", "0", " FALSE "]
    assert build(sites=sites).sites["disposable"].tolist() == [True, False, False]


def test_typed_frames_and_the_instance_own_frames_validate_again() -> None:
    inst = build()
    again = Instance.from_frames(
        inst.sites, inst.zones, inst.scenario, inst.projects, inst.travel, name="again"
    )
    assert_instance_equal(again, inst)
    typed = raw_tables()["zones"].astype({"x": float, "y": float, "population": float})
    assert build(zones=typed).zones["population"].tolist() == [1500.0, 2200.0]
    projects = raw_tables()["projects"].astype({"capex": float})
    projects["earliest_start"] = [np.nan, 2.0]  # a blank optional number takes its default
    assert build(projects=projects).projects["earliest_start"].tolist() == [1, 2]
    sites = raw_tables()["sites"]
    sites["disposable"] = [True, False, True]
    with raises("sites.csv, row 1, column capacity_m2: expected a finite number >= 0, got 'nan'."):
        build(sites=sites.assign(capacity_m2=[np.nan, 1.0, 2.0]))


# --- cell rules ----------------------------------------------------------------------


def test_negative_number_names_file_row_and_column() -> None:
    with raises("sites.csv, row 2, column capacity_m2: expected a finite number >= 0, got '-250'."):
        build(**with_cell("sites", 2, "capacity_m2", "-250"))


@pytest.mark.parametrize(
    ("value", "got"),
    [("nan", "got 'nan'."), ("inf", "got 'inf'."), ("-Infinity", "got '-Infinity'."),
     ("", "got an empty cell."), ("12k", "got '12k'.")],
)  # fmt: skip
def test_numbers_must_be_finite(value: str, got: str) -> None:
    with raises(f"sites.csv, row 1, column market_value: expected a finite number >= 0, {got}"):
        build(**with_cell("sites", 1, "market_value", value))


def test_zone_population_and_travel_distance_ranges() -> None:
    with raises("zones.csv, row 2, column population: expected a finite number >= 0, got '-1'."):
        build(**with_cell("zones", 2, "population", "-1"))
    with raises("travel.csv, row 3, column distance_m: expected a finite number >= 0, got '-5'."):
        build(**with_cell("travel", 3, "distance_m", "-5"))


def test_coordinates_must_be_finite() -> None:
    with raises("zones.csv, row 1, column x: expected a finite number, got an empty cell."):
        build(**with_cell("zones", 1, "x", ""))


def test_integers_and_their_ranges() -> None:
    with raises("sites.csv, row 1, column earliest_disposal: expected an integer >= 1, got '0'."):
        build(**with_cell("sites", 1, "earliest_disposal", "0"))
    with raises("projects.csv, row 2, column build_periods: expected an integer >= 0, got '1.5'."):
        build(**with_cell("projects", 2, "build_periods", "1.5"))
    with raises("projects.csv, row 1, column earliest_start: expected an integer >= 1, got 'x'."):
        build(**with_cell("projects", 1, "earliest_start", "x"))


def test_running_cost_delta_is_any_finite_number() -> None:
    assert (
        build(**with_cell("projects", 1, "running_cost_delta", "-1e6"))
        .projects["running_cost_delta"]
        .iloc[0]
        == -1e6
    )
    with raises("projects.csv, row 1, column running_cost_delta: expected a finite number, got"):
        build(**with_cell("projects", 1, "running_cost_delta", "inf"))


def test_booleans_reject_other_words() -> None:
    with raises("sites.csv, row 3, column disposable: expected true, false, 1 or 0, got 'yes'."):
        build(**with_cell("sites", 3, "disposable", "yes"))


def test_project_kind_typo_names_the_allowed_values() -> None:
    allowed = ", ".join(PROJECT_KINDS)
    with raises(
        f"projects.csv, row 1, column kind: expected one of {allowed} (or blank), got 'newbuild'."
    ):
        build(**with_cell("projects", 1, "kind", "newbuild"))
    assert build(**with_cell("projects", 1, "kind", "")).projects["kind"].iloc[0] == ""


def test_missing_required_column_is_one_problem_naming_it() -> None:
    sites = raw_tables()["sites"].rename(columns={"capacity_m2": "capacity"})
    with pytest.raises(InputError) as info:
        build(sites=sites)
    assert len(info.value.problems) == 1
    assert str(info.value) == (
        "sites.csv, column capacity_m2: missing required column 'capacity_m2' (usable floor "
        "area for services; 0 for a candidate location); expected it in the header "
        "(found 'capacity': a typo?)."
    )


def test_every_problem_of_every_file_is_reported() -> None:
    sites = raw_tables()["sites"]
    sites.loc[0, "capacity_m2"] = "-1"
    sites.loc[2, "running_cost"] = "abc"
    zones = raw_tables()["zones"]
    zones.loc[1, "population"] = ""
    with pytest.raises(InputError) as info:
        build(sites=sites, zones=zones)
    assert [str(p) for p in info.value.problems] == [
        "sites.csv, row 1, column capacity_m2: expected a finite number >= 0, got '-1'.",
        "sites.csv, row 3, column running_cost: expected a finite number >= 0, got 'abc'.",
        "zones.csv, row 2, column population: expected a finite number >= 0, got an empty cell.",
    ]
    assert (info.value.file, info.value.row, info.value.column) == ("sites.csv", 1, "capacity_m2")


def test_many_bad_rows_are_summarised() -> None:
    zones = pd.concat([raw_tables()["zones"]] * 20, ignore_index=True)
    zones["zone_id"] = [f"Z{i}" for i in range(len(zones))]
    zones["population"] = "-1"
    with pytest.raises(InputError) as info:
        build(zones=zones)
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS_PER_COLUMN + 1
    assert str(problems[-1]) == (
        f"zones.csv, column population: and {40 - MAX_PROBLEMS_PER_COLUMN} more rows with the "
        "same kind of problem."
    )


# --- ids and rows --------------------------------------------------------------------


def test_sites_and_zones_need_a_row() -> None:
    with raises("sites.csv: expected at least one data row, got none."):
        build(sites=raw_tables()["sites"].iloc[:0], projects=None, travel=None)
    with raises("zones.csv: expected at least one data row, got none."):
        build(zones=raw_tables()["zones"].iloc[:0], travel=None)


def test_ids_are_non_empty() -> None:
    with raises("zones.csv, row 2, column zone_id: expected a non-empty value, got an empty cell."):
        build(**with_cell("zones", 2, "zone_id", "  "))


def test_ids_are_unique() -> None:
    with raises(
        "sites.csv, row 3, column site_id: expected a unique id, got 'S1' (also on row 1)."
    ):
        build(**with_cell("sites", 3, "site_id", "S1"))
    with raises(
        "projects.csv, row 2, column project_id: expected a unique id, got 'P1' (also on row 1)."
    ):
        build(**with_cell("projects", 2, "project_id", "P1"))


def test_ids_are_stripped() -> None:
    inst = build(**with_cell("projects", 1, "site_id", " S3 "))
    assert inst.projects["site_id"].iloc[0] == "S3"


# --- references across files ---------------------------------------------------------


def test_services_must_be_defined_in_the_scenario() -> None:
    with raises(
        "sites.csv, row 2, column services: expected services defined under [services] in "
        "scenario.toml (gp, community), got 'dental', 'x'."
    ):
        build(**with_cell("sites", 2, "services", "gp;dental; x"))
    with raises("projects.csv, row 1, column services: expected services defined under"):
        build(**with_cell("projects", 1, "services", "GP"))


def test_projects_stand_on_existing_sites() -> None:
    with raises("projects.csv, row 2, column site_id: expected a site_id of sites, got 'S9'."):
        build(**with_cell("projects", 2, "site_id", "S9"))


def test_travel_names_existing_zones_and_sites_once() -> None:
    with raises("travel.csv, row 1, column zone_id: expected a zone_id of zones, got 'Z7'."):
        build(**with_cell("travel", 1, "zone_id", "Z7"))
    with raises("travel.csv, row 2, column site_id: expected a site_id of sites, got 'S7'."):
        build(**with_cell("travel", 2, "site_id", "S7"))
    with raises(
        "travel.csv, row 2, column site_id: expected each (zone_id, site_id) pair once, "
        "got ('Z1', 'S1') again (first on row 1)."
    ):
        build(**with_cell("travel", 2, "site_id", "S1"))


def test_housing_boroughs_must_have_sites() -> None:
    scenario = Scenario(
        periods=2, services=SCENARIO.services, housing_by_borough={"E0900007": 10.0}
    )
    with raises(
        "scenario.toml: [housing] by_borough: expected boroughs of sites, got 'E0900007' "
        "(no site is in it)."
    ):
        build(scenario)


# --- locks ---------------------------------------------------------------------------


def locks(**kwargs: tuple[str, ...]) -> Scenario:
    return Scenario(periods=2, services=SCENARIO.services, **kwargs)


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (locks(keep=("S9",)), "[locks] keep: expected site ids of sites, got 'S9'."),
        (locks(dispose=("P1",)), "[locks] dispose: expected site ids of sites, got 'P1'."),
        (locks(build=("S1",)), "[locks] build: expected project ids of projects, got 'S1'."),
        (locks(forbid=("P3",)), "[locks] forbid: expected project ids of projects, got 'P3'."),
        (
            locks(keep=("S1",), dispose=("S1",)),
            "[locks] site 'S1' is in both keep and dispose; expected it in at most one.",
        ),
        (
            locks(dispose=("S2",)),
            "[locks] dispose: expected disposable sites, got 'S2' (disposable = false).",
        ),
        (
            locks(build=("P2",), forbid=("P2",)),
            "[locks] project 'P2' is in both build and forbid; expected it in at most one.",
        ),
    ],
)
def test_lock_rules(scenario: Scenario, message: str) -> None:
    with raises(f"scenario.toml: {message}"):
        build(scenario)


def test_locked_build_must_be_able_to_start_within_the_horizon() -> None:
    # P1 takes 1 period to build; starting in period 2 of 2 is the latest possible.
    ok = build(locks(build=("P1",)), **with_cell("projects", 1, "earliest_start", "1"))
    assert ok.scenario.build == ("P1",)
    with raises(
        "scenario.toml: [locks] build: project 'P1' cannot start within the horizon: latest "
        "start periods - build_periods = 2 - 1 = 1 < earliest_start 2."
    ):
        build(locks(build=("P1",)), **with_cell("projects", 1, "earliest_start", "2"))


def test_locked_disposal_must_be_possible_within_the_horizon() -> None:
    with raises(
        "scenario.toml: [locks] dispose: site 'S1' cannot be disposed within the horizon: "
        "earliest_disposal 3 > periods 2."
    ):
        build(locks(dispose=("S1",)), **with_cell("sites", 1, "earliest_disposal", "3"))


def test_with_scenario_checks_the_locks() -> None:
    inst = build()
    assert inst.with_scenario(keep=("S2",)).scenario.keep == ("S2",)
    assert inst.scenario.keep == ()
    with raises("scenario.toml: [locks] keep: expected site ids of sites, got 'S4'."):
        inst.with_scenario(keep=("S4",))


# --- GeoDataFrames -------------------------------------------------------------------


def geo(table: str, geometry: list[object], crs: str | None = "EPSG:27700") -> gpd.GeoDataFrame:
    frame = raw_tables()[table].drop(columns=["x", "y"])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


SQUARE = Polygon([(529000, 182000), (529040, 182000), (529040, 182040), (529000, 182040)])


def test_geodataframe_sites_keep_polygons() -> None:
    sites = geo("sites", [SQUARE, Point(530000, 183000), Point(531000, 181000)])
    inst = build(sites=sites)
    assert inst.sites.geometry.iloc[0].equals(SQUARE)
    assert inst.sites.crs.to_epsg() == 27700


def test_geodataframe_without_crs_is_an_error() -> None:
    sites = geo("sites", [Point(0, 0)] * 3, crs=None)
    with raises("sites.gpkg, column geometry: expected a coordinate reference system (CRS)"):
        build(sites=sites)


def test_empty_wrong_and_invalid_geometries_name_the_row() -> None:
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    sites = geo("sites", [Point(0, 0), None, LineString([(0, 0), (1, 1)])])
    with pytest.raises(InputError) as info:
        build(sites=sites)
    assert [str(p) for p in info.value.problems] == [
        "sites.gpkg, row 2, column geometry: expected a point or polygon geometry, got an "
        "empty geometry.",
        "sites.gpkg, row 3, column geometry: expected a point or polygon geometry, got a "
        "LineString.",
    ]
    with raises("zones.gpkg, row 2, column geometry: expected a valid geometry, got an invalid "):
        build(zones=geo("zones", [Point(0, 0), bowtie]))


def test_other_crs_is_reprojected_with_a_warning() -> None:
    zones = geo("zones", [Point(-0.13, 51.52), Point(-0.12, 51.53)], crs="EPSG:4326")
    with pytest.warns(DataWarning, match=r"zones.gpkg: reprojected from EPSG:4326 to EPSG:27700"):
        inst = build(zones=zones)
    assert inst.zones.crs.to_epsg() == 27700
    assert 529000 < inst.zones.geometry.x.iloc[0] < 531000


def test_polygon_zones_become_their_representative_point() -> None:
    zones = geo("zones", [SQUARE, Point(530500, 182000)])
    with pytest.warns(DataWarning, match=r"1 polygon zone\(s\) reduced to their representative"):
        inst = build(zones=zones)
    assert (inst.zones.geom_type == "Point").all()
    assert inst.zones.geometry.iloc[0].within(SQUARE)


def test_warning_points_at_the_caller() -> None:
    zones = geo("zones", [SQUARE, Point(530500, 182000)])
    with pytest.warns(DataWarning) as record:
        build(zones=zones)
    assert record[0].filename == __file__
