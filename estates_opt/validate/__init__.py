"""Input rules of MODEL.md section 7: parse the tables and check them, one function per rule.

:func:`validate_frames` turns raw tables (all-text frames as read from CSV, typed frames
or GeoDataFrames) into typed frames in EPSG:27700 (:class:`ValidFrames`), or raises one
:class:`~estates_opt.errors.InputError` listing every problem with file, row and column.
The checks run in two passes: first each table on its own (:mod:`.cells`: columns, types,
ranges, geometry), then the rules across tables and the scenario (:mod:`.references`:
ids, services, references, locks). Nothing here knows the
:class:`~estates_opt.instance.Instance` built from the result.
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.scenario import Scenario
from estates_opt.schema import PROJECTS, SITES, TRAVEL, ZONES, Table
from estates_opt.validate.cells import CRS, MAX_PROBLEMS_PER_COLUMN, parse_table, warn_data
from estates_opt.validate.references import (
    check_at_least_one_row,
    check_housing_boroughs,
    check_project_sites,
    check_services_defined,
    check_travel_references,
    check_unique_ids,
    check_unique_travel_pairs,
    lock_problems,
    scenario_reference_problems,
)
from estates_opt.validate.scenario import validate_scenario

__all__ = [
    "CRS",
    "MAX_PROBLEMS_PER_COLUMN",
    "ValidFrames",
    "lock_problems",
    "parse_table",
    "scenario_reference_problems",
    "validate_frames",
    "validate_scenario",
    "warn_data",
]


class ValidFrames(NamedTuple):
    """The typed tables of one instance (RangeIndex, geometry in EPSG:27700)."""

    sites: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    projects: pd.DataFrame
    travel: pd.DataFrame | None


def _empty(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=c.type) for c in table.columns})


def _file(frame: pd.DataFrame, table: Table) -> str:
    return f"{table.name}.{'gpkg' if isinstance(frame, gpd.GeoDataFrame) else 'csv'}"


def validate_frames(
    *,
    sites: pd.DataFrame,
    zones: pd.DataFrame,
    projects: pd.DataFrame | None,
    travel: pd.DataFrame | None,
    scenario: Scenario,
) -> ValidFrames:
    """Parse and check the tables of one instance against MODEL.md section 7.

    Parameters
    ----------
    sites, zones
        Raw all-text frames as read from CSV (with ``x``/``y``), typed frames, or
        GeoDataFrames (any CRS; reprojected to EPSG:27700 with a DataWarning).
    projects, travel
        Optional tables (None when absent).
    scenario
        The validated scenario.

    Returns
    -------
    ValidFrames
        Typed frames with a RangeIndex, geometry in EPSG:27700.

    Raises
    ------
    InputError
        Listing every problem found, each naming file, row and column.

    Examples
    --------
    >>> import pandas as pd
    >>> from estates_opt.scenario import Scenario, Service
    >>> sites = pd.DataFrame({"site_id": ["S1"], "borough": ["E09000007"], "x": ["530000"],
    ...     "y": ["180000"], "capacity_m2": ["100"], "running_cost": ["1e5"],
    ...     "backlog_cost": ["0"], "market_value": ["1e6"], "housing_units": ["10"],
    ...     "disposable": ["true"], "services": ["gp"]})
    >>> zones = pd.DataFrame({"zone_id": ["Z1"], "borough": ["E09000007"], "x": ["530100"],
    ...     "y": ["180000"], "population": ["1000"]})
    >>> frames = validate_frames(sites=sites, zones=zones, projects=None, travel=None,
    ...     scenario=Scenario(services={"gp": Service(80.0, 2000.0)}))
    >>> frames.sites["capacity_m2"].dtype, frames.sites.crs.to_epsg()
    (dtype('float64'), 27700)
    """
    problems: list[Problem] = validate_scenario(scenario)
    if problems:
        raise InputError(problems)
    files = {
        "sites": _file(sites, SITES),
        "zones": _file(zones, ZONES),
        "projects": "projects.csv",
        "travel": "travel.csv",
    }
    parsed_sites = parse_table(sites, SITES, problems)
    parsed_zones = parse_table(zones, ZONES, problems)
    parsed_projects = parse_table(
        _empty(PROJECTS) if projects is None else projects, PROJECTS, problems
    )
    parsed_travel = None if travel is None else parse_table(travel, TRAVEL, problems)
    if problems:
        raise InputError(problems)
    assert parsed_sites is not None and parsed_zones is not None and parsed_projects is not None

    problems += check_at_least_one_row(parsed_sites, files["sites"])
    problems += check_at_least_one_row(parsed_zones, files["zones"])
    problems += check_unique_ids(parsed_sites, "site_id", files["sites"])
    problems += check_unique_ids(parsed_zones, "zone_id", files["zones"])
    problems += check_unique_ids(parsed_projects, "project_id", files["projects"])
    problems += check_project_sites(parsed_projects, parsed_sites, files["projects"])
    if parsed_travel is not None:
        problems += check_travel_references(
            parsed_travel, parsed_zones, parsed_sites, files["travel"]
        )
        problems += check_unique_travel_pairs(parsed_travel, files["travel"])
    problems += check_services_defined(parsed_sites, files["sites"], scenario)
    problems += check_services_defined(parsed_projects, files["projects"], scenario)
    problems += check_housing_boroughs(scenario, parsed_sites)
    if problems:
        raise InputError(problems)
    problems += lock_problems(parsed_sites, parsed_projects, scenario)
    if problems:
        raise InputError(problems)
    return ValidFrames(parsed_sites, parsed_zones, parsed_projects, parsed_travel)
