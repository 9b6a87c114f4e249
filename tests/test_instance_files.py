"""Instance folders on disk: read_instance, write_instance and their round trip."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from estates_opt.errors import DataWarning, InputError
from estates_opt.instance import Instance
from estates_opt.io import read_instance, write_instance
from estates_opt.io.scenario_file import scenario_to_toml
from estates_opt.scenario import Scenario, Service
from estates_opt.testing import assert_instance_equal

SCENARIO = Scenario(periods=2, services={"gp": Service(80.0, 2000.0)})

SITES_CSV = """\
site_id,name,borough,owner,x,y,capacity_m2,running_cost,backlog_cost,market_value,housing_units,disposable,earliest_disposal,services,site_type
S1,"Centre 1, High St",E09000007,NHSPS,529000.5,182000,1500,250000,100000,6000000,20,true,2,gp,health centre
S2,Hospital,E09000019,Trust,530000,183000.25,4000,900000,0,0,0,false,1,gp,acute
S3,,E09000019,,531000,181000,0,0,0,2500000,12,1,,,land
"""  # noqa: E501
ZONES_CSV = """\
zone_id,borough,x,y,population
Z1,E09000007,529500,182500,1500
Z2,E09000019,530500,182000,2200
"""
PROJECTS_CSV = """\
project_id,site_id,kind,capex,added_capacity_m2,services,running_cost_delta,build_periods,earliest_start,exclusive_group
P1,S3,new_build,5000000,1800,gp,150000,1,1,
P2,S1,extend,1200000,400,gp,-2500.5,0,,g1
"""
TRAVEL_CSV = """\
zone_id,site_id,distance_m
Z1,S1,800
Z2,S2,950.5
"""


def make_folder(path: Path, **files: str | bytes | None) -> Path:
    """An instance folder with the tiny CSV tables; ``files`` overrides (None removes)."""
    contents: dict[str, str | bytes | None] = {
        "sites.csv": SITES_CSV,
        "zones.csv": ZONES_CSV,
        "projects.csv": PROJECTS_CSV,
        "travel.csv": TRAVEL_CSV,
        "scenario.toml": scenario_to_toml(SCENARIO),
    }
    contents.update({name.replace("_", "."): text for name, text in files.items()})
    path.mkdir(parents=True, exist_ok=True)
    for name, text in contents.items():
        if text is None:
            continue
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (path / name).write_bytes(data)
    return path


def raises(message: str) -> pytest.RaisesContext[InputError]:
    return pytest.raises(InputError, match=re.escape(message))


# --- reading -------------------------------------------------------------------------


def test_read_tiny_folder(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "tiny"))
    assert inst.name == "tiny"
    assert inst.sites["name"].tolist() == ["Centre 1, High St", "Hospital", ""]
    assert inst.sites["earliest_disposal"].tolist() == [2, 1, 1]
    assert inst.sites["site_type"].tolist() == ["health centre", "acute", "land"]
    assert inst.projects["earliest_start"].tolist() == [1, 1]
    assert inst.travel is not None and len(inst.travel) == 2
    assert inst.scenario == SCENARIO


def test_projects_and_travel_are_optional(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "x", projects_csv=None, travel_csv=None))
    assert len(inst.projects) == 0 and inst.travel is None


def test_byte_order_mark_and_windows_line_endings(tmp_path: Path) -> None:
    sites = b"\xef\xbb\xbf" + SITES_CSV.replace("\n", "\r\n").encode()
    inst = read_instance(make_folder(tmp_path / "x", sites_csv=sites))
    assert inst.sites.columns[0] == "site_id"
    assert inst.sites["site_type"].tolist() == ["health centre", "acute", "land"]


def test_missing_folder(tmp_path: Path) -> None:
    with raises(f"{tmp_path / 'nope'}: expected an instance folder, found nothing."):
        read_instance(tmp_path / "nope")


def test_missing_sites_and_scenario(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "x", sites_csv=None, scenario_toml=None)
    with pytest.raises(InputError) as info:
        read_instance(folder)
    assert [str(p) for p in info.value.problems] == [
        f"sites.csv: file not found; expected sites.csv or sites.gpkg in {folder}.",
        f"scenario.toml: file not found in {folder}.",
    ]


def test_csv_and_gpkg_together_is_an_error(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "x")
    (folder / "zones.gpkg").write_bytes(b"")
    with raises(f"zones.csv: expected either zones.csv or zones.gpkg in {folder}, got both."):
        read_instance(folder)


def test_non_utf8_bytes_name_the_row(tmp_path: Path) -> None:
    zones = ZONES_CSV.replace("Z2,", "Z\xe92,").encode("latin-1")
    with raises("zones.csv, row 2: expected UTF-8 text, got byte 0xe9 that is not UTF-8"):
        read_instance(make_folder(tmp_path / "x", zones_csv=zones))


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    with raises("sites.csv: expected a header row and at least one data row, got an empty file."):
        read_instance(make_folder(tmp_path / "a", sites_csv=""))
    with raises("zones.csv: expected at least one data row, got none."):
        read_instance(make_folder(tmp_path / "b", zones_csv="zone_id,borough,x,y,population\n"))
    header_only = PROJECTS_CSV.splitlines()[0] + "\n"
    assert len(read_instance(make_folder(tmp_path / "c", projects_csv=header_only)).projects) == 0


def test_wrong_number_of_fields_names_the_row(tmp_path: Path) -> None:
    zones = ZONES_CSV + "Z3,E09000019,1,2,3,4\n"
    with raises("zones.csv, row 3: expected 5 fields like the header, got 6"):
        read_instance(make_folder(tmp_path / "x", zones_csv=zones))


def test_bad_cell_in_a_file_names_file_row_and_column(tmp_path: Path) -> None:
    sites = SITES_CSV.replace(",4000,", ",-250,")
    with raises("sites.csv, row 2, column capacity_m2: expected a finite number >= 0, got '-250'."):
        read_instance(make_folder(tmp_path / "x", sites_csv=sites))


def test_bad_scenario_is_reported(tmp_path: Path) -> None:
    with raises("scenario.toml: unknown key 'periodz' in [horizon]; did you mean 'periods'?"):
        read_instance(make_folder(tmp_path / "x", scenario_toml="[horizon]\nperiodz = 3\n"))


# --- GeoPackage ----------------------------------------------------------------------


def gpkg_folder(path: Path, sites: gpd.GeoDataFrame | None = None, **files: str | None) -> Path:
    folder = make_folder(path, sites_csv=None, **files)
    if sites is not None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            sites.to_file(folder / "sites.gpkg", driver="GPKG", layer="sites")
    return folder


def tiny_sites(geometry: list[object], crs: str | None = "EPSG:27700") -> gpd.GeoDataFrame:
    frame = pd.read_csv(pd.io.common.StringIO(SITES_CSV), dtype=str, keep_default_na=False).drop(
        columns=["x", "y"]
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


SQUARE = Polygon([(529000, 182000), (529040, 182000), (529040, 182040), (529000, 182040)])


def test_read_gpkg_sites_with_polygons(tmp_path: Path) -> None:
    sites = tiny_sites([SQUARE, Point(530000, 183000), Point(531000, 181000)])
    inst = read_instance(gpkg_folder(tmp_path / "x", sites))
    assert inst.sites.geometry.iloc[0].equals(SQUARE)
    assert inst.sites["capacity_m2"].tolist() == [1500.0, 4000.0, 0.0]


def test_gpkg_in_another_crs_is_reprojected(tmp_path: Path) -> None:
    sites = tiny_sites([Point(-0.13, 51.52), Point(-0.12, 51.53), Point(-0.11, 51.51)], "EPSG:4326")
    with pytest.warns(DataWarning, match="sites.gpkg: reprojected from EPSG:4326 to EPSG:27700"):
        inst = read_instance(gpkg_folder(tmp_path / "x", sites))
    assert inst.sites.crs.to_epsg() == 27700


def test_gpkg_without_crs_is_an_error(tmp_path: Path) -> None:
    sites = tiny_sites([Point(0, 0), Point(1, 1), Point(2, 2)], crs=None)
    with raises("sites.gpkg, column geometry: expected a coordinate reference system (CRS)"):
        read_instance(gpkg_folder(tmp_path / "x", sites))


def test_gpkg_with_empty_geometry_names_the_row(tmp_path: Path) -> None:
    sites = tiny_sites([Point(0, 0), Point(), Point(2, 2)])
    with raises("sites.gpkg, row 2, column geometry: expected a point or polygon geometry, got an"):
        read_instance(gpkg_folder(tmp_path / "x", sites))


def test_gpkg_polygon_zones_are_reduced(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "x", zones_csv=None)
    zones = pd.read_csv(pd.io.common.StringIO(ZONES_CSV), dtype=str).drop(columns=["x", "y"])
    gpd.GeoDataFrame(zones, geometry=[SQUARE, Point(530500, 182000)], crs=27700).to_file(
        folder / "zones.gpkg"
    )
    with pytest.warns(DataWarning, match="reduced to their representative point"):
        inst = read_instance(folder)
    assert (inst.zones.geom_type == "Point").all()


# --- writing and round trips ---------------------------------------------------------


def test_round_trip_csv(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "a"))
    out = write_instance(inst, tmp_path / "b")
    assert sorted(p.name for p in out.iterdir()) == [
        "projects.csv", "scenario.toml", "sites.csv", "travel.csv", "zones.csv",
    ]  # fmt: skip
    assert_instance_equal(read_instance(out), inst)
    assert (out / "sites.csv").read_text().splitlines()[0] == SITES_CSV.splitlines()[0]


def test_round_trip_keeps_every_float_bit(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "a"))
    sites = inst.sites.copy()
    sites["market_value"] = [0.1 + 0.2, 1e-300, 123456789.123456789]
    sites["geometry"] = gpd.points_from_xy([529000.1 + 1e-9, 2 / 3, 1e7], [1 / 3, 0.0, 5.5])
    sites = sites.set_crs(27700, allow_override=True)
    inst = dataclasses.replace(inst, sites=sites)
    assert_instance_equal(read_instance(write_instance(inst, tmp_path / "b")), inst)


def test_round_trip_gpkg_polygons(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "a"))
    sites = inst.sites.copy()
    sites["geometry"] = sites.buffer(25.0)
    inst = dataclasses.replace(inst, sites=sites)
    out = write_instance(inst, tmp_path / "b")
    assert (out / "sites.gpkg").exists() and not (out / "sites.csv").exists()
    assert (out / "zones.csv").exists()
    assert_instance_equal(read_instance(out), inst)


def test_round_trip_without_projects_or_travel(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "a", projects_csv=None, travel_csv=None))
    out = write_instance(inst, tmp_path / "b")
    assert not (out / "travel.csv").exists()
    assert_instance_equal(read_instance(out), inst)


def test_write_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "a"))
    target = tmp_path / "b"
    target.mkdir()
    write_instance(inst, target)  # an empty folder is fine
    with pytest.raises(FileExistsError, match="already holds files"):
        write_instance(inst, target)
    smaller = dataclasses.replace(inst, travel=None)
    write_instance(smaller, target, overwrite=True)
    assert not (target / "travel.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary left


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    inst = read_instance(make_folder(tmp_path / "a"))
    broken = dataclasses.replace(inst, scenario=None)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        write_instance(broken, tmp_path / "b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


@pytest.mark.parametrize("name", ["p01", "p02"])
def test_shared_instances_read_and_round_trip(
    shared_instances: Path, tmp_path: Path, name: str
) -> None:
    inst = read_instance(shared_instances / name)
    assert isinstance(inst, Instance) and inst.name == name
    assert len(inst.sites) >= 16 and len(inst.zones) >= 36
    assert inst.sites["disposable"].dtype == bool
    assert np.isfinite(inst.sites["capacity_m2"]).all()
    assert_instance_equal(read_instance(write_instance(inst, tmp_path / name)), inst)
