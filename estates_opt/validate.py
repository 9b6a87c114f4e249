"""Input rules of MODEL.md section 7: parse the tables and check them, one function per rule.

:func:`validate_instance_frames` turns raw tables (all-text frames as read from CSV, typed
frames or GeoDataFrames) into a typed :class:`~estates_opt.instance.Instance`, or raises
one :class:`~estates_opt.errors.InputError` listing every problem with file, row and column.
Row numbers are 1-based data rows: the first row under the header is row 1.

The checks run in two passes: first each table on its own (columns, types, ranges,
geometry), then the rules across tables and the scenario (ids, services, references, locks).
"""

from __future__ import annotations

import difflib
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from estates_opt.errors import DataWarning, InputError, Problem
from estates_opt.scenario import SCENARIO_FILE, Scenario
from estates_opt.schema import PROJECTS, SITES, TRAVEL, ZONES, Column, Table

if TYPE_CHECKING:
    from estates_opt.instance import Instance

__all__ = [
    "CRS",
    "MAX_PROBLEMS_PER_COLUMN",
    "check_at_least_one_row",
    "check_housing_boroughs",
    "check_project_sites",
    "check_services_defined",
    "check_travel_references",
    "check_unique_ids",
    "check_unique_travel_pairs",
    "lock_problems",
    "parse_table",
    "validate_instance_frames",
    "validate_locks",
    "validate_scenario_references",
    "warn_data",
]

CRS = "EPSG:27700"
"""British National Grid: the CRS of every instance geometry."""

MAX_PROBLEMS_PER_COLUMN = 10
"""Cells listed per column and kind of problem before the rest are summarised."""

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_GEOMETRIES = frozenset({"Point", "Polygon", "MultiPolygon"})  # zone polygons become points


def warn_data(message: str) -> None:
    """Emit a :class:`DataWarning` pointing at the first caller outside estates_opt."""
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, DataWarning, stacklevel=level)


# ---------------------------------------------------------------------------------------
# Pass 1: one table at a time
# ---------------------------------------------------------------------------------------


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _text(series: pd.Series) -> pd.Series:
    """Cells as Python strings ("" for missing text), for parsing and messages."""
    if _is_text(series):
        values = series.astype(object).where(series.notna(), "")
        return values.map(str)
    return series.astype(object).map(str)


def _cell_problems(
    file: str, column: str, mask: np.ndarray, message: pd.Series | str
) -> list[Problem]:
    """One problem per flagged row (the first few), then one summary of the rest."""
    rows = np.flatnonzero(mask)
    problems = []
    for pos in rows[:MAX_PROBLEMS_PER_COLUMN]:
        text = message if isinstance(message, str) else message.iloc[pos]
        problems.append(Problem(file, text, row=int(pos) + 1, column=column))
    if len(rows) > MAX_PROBLEMS_PER_COLUMN:
        more = len(rows) - MAX_PROBLEMS_PER_COLUMN
        problems.append(
            Problem(file, f"and {more} more rows with the same kind of problem.", column=column)
        )
    return problems


def _got(raw: pd.Series) -> pd.Series:
    return raw.map(lambda v: "got an empty cell." if not v.strip() else f"got {v!r}.")


def _parse_number(series: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Float values, a mask of bad cells (blank, not a number, not finite, below the
    minimum, not an integer) and a mask of cells beyond the column's largest magnitude."""
    raw = _text(series).str.strip()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("float64").reset_index(drop=True)
        if not col.required:
            values = values.fillna(float(col.default))
    else:
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        if not col.required:
            values = values.mask(raw == "", float(col.default))
    array = values.to_numpy()
    bad = ~np.isfinite(array)
    if col.min is not None:
        bad |= np.isfinite(array) & (array < col.min)
    if col.type is int:
        # periods and build times: anything beyond 32-bit is a typo, and would overflow
        bad |= np.isfinite(array) & ((array != np.floor(array)) | (np.abs(array) > 2**31 - 1))
    huge = ~bad & np.isfinite(array) & (np.abs(array) > col.max_magnitude)
    return values, bad, huge


def _parse_bool(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool).reset_index(drop=True), np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64").reset_index(drop=True)
        return values == 1, ~values.isin([0.0, 1.0]).to_numpy()
    key = _text(series).str.strip().str.lower()
    truth = key.isin(_TRUE)
    bad = ~(truth | key.isin(_FALSE)).to_numpy()
    return truth, bad


def _parse_text(series: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray]:
    values = _text(series).str.strip()
    bad = np.zeros(len(values), dtype=bool)
    if col.choices is not None:
        values = values.str.lower()
        bad |= ((values != "") & ~values.isin(col.choices)).to_numpy()
    if col.nonempty:
        bad |= (values == "").to_numpy()
    if not col.required:
        values = values.mask(values == "", col.default)
    return values, bad


def _parse_column(series: pd.Series, col: Column, file: str, problems: list[Problem]) -> pd.Series:
    """The column typed as the schema says; bad cells are added to ``problems``."""
    series = series.reset_index(drop=True)
    huge = np.zeros(len(series), dtype=bool)
    if col.type is bool:
        values, bad = _parse_bool(series)
    elif col.type in (int, float):
        values, bad, huge = _parse_number(series, col)
    else:
        values, bad = _parse_text(series, col)
    if bad.any() or huge.any():
        full = pd.Series("", index=series.index, dtype=object)
        for mask, expected in ((bad, col.expected), (huge, col.too_large)):
            got = _got(_text(series[mask]))
            full[mask] = pd.Series(f"expected {expected}, ", index=got.index) + got
        problems += _cell_problems(file, col.name, bad | huge, full)
        return values
    if col.type is int:
        return values.astype("int64")
    if col.type is float:
        return values.astype("float64")
    if col.type is bool:
        return values.astype(bool)
    return values.astype(str)


def _missing_column(table: Table, col: Column, file: str, header: list[str]) -> Problem:
    close = difflib.get_close_matches(col.name, header, n=1)
    hint = f" (found '{close[0]}': a typo?)" if close else ""
    return Problem(
        file,
        f"missing required column '{col.name}' ({col.doc}); expected it in the header{hint}.",
        column=col.name,
    )


def _parse_geometry(
    frame: gpd.GeoDataFrame, table: Table, file: str, problems: list[Problem]
) -> gpd.GeoSeries | None:
    """Geometry of a GeoDataFrame, checked and in EPSG:27700 (None if it has problems)."""
    geom = frame.geometry.reset_index(drop=True)
    if geom.crs is None:
        problems.append(
            Problem(
                file,
                "expected a coordinate reference system (CRS), got none; "
                f"set one (e.g. {CRS}) on the layer.",
                column=frame.geometry.name,
            )
        )
        return None
    column = str(frame.geometry.name)
    allowed = _GEOMETRIES
    kinds = "a point or polygon geometry"
    array = geom.to_numpy()
    missing = shapely.is_missing(array) | shapely.is_empty(array)
    before = len(problems)
    problems += _cell_problems(file, column, missing, f"expected {kinds}, got an empty geometry.")
    names = geom.geom_type.fillna("")
    wrong = ~missing & ~names.isin(allowed).to_numpy()
    problems += _cell_problems(
        file, column, wrong, pd.Series(f"expected {kinds}, got a ", index=names.index) + names + "."
    )
    invalid = ~missing & ~wrong & ~shapely.is_valid(array)
    if invalid.any():
        reasons = pd.Series(shapely.is_valid_reason(array), index=names.index)
        message = "expected a valid geometry, got an invalid " + names + " (" + reasons + ")."
        problems += _cell_problems(file, column, invalid, message)
    if len(problems) > before:
        return None
    if not geom.crs.equals(CRS):
        warn_data(f"{file}: reprojected from {geom.crs.to_string()} to {CRS}.")
        geom = geom.to_crs(CRS)
    if table is ZONES:
        polygons = (geom.geom_type != "Point").to_numpy()
        if polygons.any():
            warn_data(
                f"{file}: {int(polygons.sum())} polygon zone(s) reduced to their "
                "representative point."
            )
            geom = geom.where(~polygons, geom.representative_point())
    return gpd.GeoSeries(geom.to_numpy(), crs=CRS, name="geometry")


def parse_table(frame: pd.DataFrame, table: Table, problems: list[Problem]) -> pd.DataFrame | None:
    """Parse one table against :mod:`estates_opt.schema`.

    Parameters
    ----------
    frame
        Raw (all-text) or typed frame; a GeoDataFrame for a GeoPackage table.
    table
        Its schema (``schema.SITES`` ...).
    problems
        Every problem found is appended here.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame or None
        Schema columns typed in schema order (``x``/``y`` turned into geometry), extra
        columns as text, a RangeIndex; None when the table has problems.
    """
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    file = f"{table.name}.{'gpkg' if is_geo else 'csv'}"
    before = len(problems)
    data = pd.DataFrame(frame.drop(columns=frame.geometry.name) if is_geo else frame)
    data = data.reset_index(drop=True)
    data.columns = [str(c).strip() for c in data.columns]
    header = list(data.columns)
    if is_geo:
        coords = [c.name for c in table.columns if c.geometry and c.name in header]
        if coords:
            warn_data(f"{file}: ignored columns {', '.join(coords)}; the geometry is used.")
            data = data.drop(columns=coords)
    columns: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.geometry and is_geo:
            continue
        if col.name not in data.columns:
            if col.required:
                problems.append(_missing_column(table, col, file, header))
            else:
                columns[col.name] = pd.Series([col.default] * len(data), dtype=col.type)
            continue
        columns[col.name] = _parse_column(data[col.name], col, file, problems)
    geometry = None
    if is_geo:
        geometry = _parse_geometry(frame, table, file, problems)
    if len(problems) > before:
        return None
    if table.has_geometry and not is_geo:
        geometry = gpd.GeoSeries.from_xy(columns.pop("x"), columns.pop("y"), crs=CRS)
    for name in header:
        if name not in table.names and name not in columns:
            columns[name] = _text(data[name]).astype(str)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(data)))
    if geometry is not None:
        return gpd.GeoDataFrame(out, geometry=geometry.rename("geometry"), crs=CRS)
    return out


# ---------------------------------------------------------------------------------------
# Pass 2: rules across rows, tables and the scenario
# ---------------------------------------------------------------------------------------


def check_at_least_one_row(frame: pd.DataFrame, file: str) -> list[Problem]:
    """``sites`` and ``zones`` each have at least one row."""
    if len(frame):
        return []
    return [Problem(file, "expected at least one data row, got none.")]


def check_unique_ids(frame: pd.DataFrame, column: str, file: str) -> list[Problem]:
    """Ids are unique within their file (non-empty is checked while parsing)."""
    ids = frame[column]
    repeated = ids.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return []
    first = pd.Series(np.arange(len(ids))).groupby(ids.to_numpy()).transform("min")
    message = (
        "expected a unique id, got "
        + ids.map(repr).astype(object)
        + " (also on row "
        + (first + 1).astype(str).to_numpy()
        + ")."
    )
    return _cell_problems(file, column, repeated, message)


def _service_list(defined: Iterable[str]) -> str:
    names = list(defined)
    return ", ".join(names) if names else "none defined"


def check_services_defined(frame: pd.DataFrame, file: str, scenario: Scenario) -> list[Problem]:
    """Every service named in ``services`` is defined under ``[services]`` of scenario.toml."""
    named = frame["services"].str.split(";").explode().str.strip()
    named = named[named.notna() & (named != "")]
    unknown = named[~named.isin(list(scenario.services))]
    if unknown.empty:
        return []
    rows = np.zeros(len(frame), dtype=bool)
    rows[unknown.index.unique().to_numpy()] = True
    per_row = unknown.groupby(level=0).agg(lambda s: ", ".join(repr(v) for v in s))
    message = pd.Series("", index=frame.index, dtype=object)
    message[per_row.index] = (
        "expected services defined under [services] in scenario.toml ("
        + _service_list(scenario.services)
        + "), got "
        + per_row
        + "."
    )
    return _cell_problems(file, "services", rows, message)


def _references(
    frame: pd.DataFrame, column: str, file: str, known: pd.Series, what: str
) -> list[Problem]:
    bad = ~frame[column].isin(known).to_numpy()
    message = f"expected a {column} of {what}, got " + frame[column].map(repr).astype(object) + "."
    return _cell_problems(file, column, bad, message)


def check_project_sites(projects: pd.DataFrame, sites: pd.DataFrame, file: str) -> list[Problem]:
    """Projects are built on sites that exist."""
    return _references(projects, "site_id", file, sites["site_id"], "sites")


def check_travel_references(
    travel: pd.DataFrame, zones: pd.DataFrame, sites: pd.DataFrame, file: str
) -> list[Problem]:
    """Travel rows name existing zones and sites."""
    return _references(travel, "zone_id", file, zones["zone_id"], "zones") + _references(
        travel, "site_id", file, sites["site_id"], "sites"
    )


def check_unique_travel_pairs(travel: pd.DataFrame, file: str) -> list[Problem]:
    """Each (zone_id, site_id) pair appears at most once in travel."""
    pairs = travel["zone_id"] + "\x00" + travel["site_id"]
    repeated = pairs.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return []
    first = pd.Series(np.arange(len(pairs))).groupby(pairs.to_numpy()).transform("min")
    message = (
        "expected each (zone_id, site_id) pair once, got ("
        + travel["zone_id"].map(repr).astype(object)
        + ", "
        + travel["site_id"].map(repr).astype(object)
        + ") again (first on row "
        + (first + 1).astype(str).to_numpy()
        + ")."
    )
    return _cell_problems(file, "site_id", repeated, message)


def check_housing_boroughs(scenario: Scenario, sites: pd.DataFrame) -> list[Problem]:
    """Boroughs of ``[housing] by_borough`` are boroughs of some site (a typo must not pass)."""
    known = set(sites["borough"])
    return [
        Problem(
            SCENARIO_FILE,
            f"[housing] by_borough: expected boroughs of sites, got {borough!r} "
            "(no site is in it).",
        )
        for borough in scenario.housing_by_borough
        if borough not in known
    ]


def lock_problems(instance: Instance) -> list[Problem]:
    """The ``[locks]`` rules: existing ids, no contradictions, feasible within the horizon."""
    s = instance.scenario
    sites = instance.sites.set_index("site_id")
    projects = instance.projects.set_index("project_id")
    problems: list[Problem] = []

    def problem(message: str) -> None:
        problems.append(Problem(SCENARIO_FILE, f"[locks] {message}"))

    for key, ids, known, what in (
        ("keep", s.keep, sites.index, "site ids of sites"),
        ("dispose", s.dispose, sites.index, "site ids of sites"),
        ("build", s.build, projects.index, "project ids of projects"),
        ("forbid", s.forbid, projects.index, "project ids of projects"),
    ):
        for unknown in [i for i in ids if i not in known]:
            problem(f"{key}: expected {what}, got {unknown!r}.")
    for site in sorted(set(s.keep) & set(s.dispose)):
        problem(f"site {site!r} is in both keep and dispose; expected it in at most one.")
    for project in sorted(set(s.build) & set(s.forbid)):
        problem(f"project {project!r} is in both build and forbid; expected it in at most one.")
    for site in [i for i in s.dispose if i in sites.index]:
        row = sites.loc[site]
        if not row["disposable"]:
            problem(f"dispose: expected disposable sites, got {site!r} (disposable = false).")
        elif row["earliest_disposal"] > s.periods:
            problem(
                f"dispose: site {site!r} cannot be disposed within the horizon: "
                f"earliest_disposal {row['earliest_disposal']} > periods {s.periods}."
            )
    for project in [i for i in s.build if i in projects.index]:
        row = projects.loc[project]
        latest = s.periods - int(row["build_periods"])
        if latest < row["earliest_start"]:
            problem(
                f"build: project {project!r} cannot start within the horizon: latest start "
                f"periods - build_periods = {s.periods} - {row['build_periods']} = {latest} "
                f"< earliest_start {row['earliest_start']}."
            )
    return problems


def validate_locks(instance: Instance) -> None:
    """Raise :class:`InputError` if the ``[locks]`` of the scenario break a rule."""
    problems = lock_problems(instance)
    if problems:
        raise InputError(problems)


def validate_scenario_references(instance: Instance) -> None:
    """Raise :class:`InputError` if the scenario does not fit the tables.

    Services named in sites and projects are defined, housing boroughs exist and the
    locks hold; run after changing the scenario of a validated instance.
    """
    problems = _scenario_problems(instance.sites, instance.projects, instance.scenario)
    problems += lock_problems(instance)
    if problems:
        raise InputError(problems)


def _scenario_problems(
    sites: pd.DataFrame,
    projects: pd.DataFrame,
    scenario: Scenario,
    files: dict[str, str] | None = None,
) -> list[Problem]:
    files = files or {"sites": "sites", "projects": "projects"}
    return (
        check_services_defined(sites, files["sites"], scenario)
        + check_services_defined(projects, files["projects"], scenario)
        + check_housing_boroughs(scenario, sites)
    )


def _empty(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=c.type) for c in table.columns})


def _file(frame: pd.DataFrame, table: Table) -> str:
    return f"{table.name}.{'gpkg' if isinstance(frame, gpd.GeoDataFrame) else 'csv'}"


def validate_instance_frames(
    *,
    sites: pd.DataFrame,
    zones: pd.DataFrame,
    projects: pd.DataFrame | None,
    travel: pd.DataFrame | None,
    scenario: Scenario,
    name: str = "instance",
) -> Instance:
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
    name
        Name of the instance (usually its folder name).

    Returns
    -------
    Instance
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
    >>> inst = validate_instance_frames(sites=sites, zones=zones, projects=None, travel=None,
    ...     scenario=Scenario(services={"gp": Service(80.0, 2000.0)}), name="tiny")
    >>> inst.sites["capacity_m2"].dtype, inst.sites.crs.to_epsg()
    (dtype('float64'), 27700)
    """
    from estates_opt.instance import Instance

    problems: list[Problem] = []
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
    problems += _scenario_problems(parsed_sites, parsed_projects, scenario, files)
    if problems:
        raise InputError(problems)
    instance = Instance(
        sites=parsed_sites,
        zones=parsed_zones,
        projects=parsed_projects,
        scenario=scenario,
        travel=parsed_travel,
        name=name,
    )
    validate_locks(instance)
    return instance
