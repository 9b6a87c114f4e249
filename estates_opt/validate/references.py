"""Input rules of MODEL.md section 7 across tables and the scenario: ids, references,
services, housing boroughs and locks. Each returns the problems it finds."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from estates_opt.errors import Problem
from estates_opt.scenario import SCENARIO_FILE, Scenario
from estates_opt.validate.cells import cell_problems

__all__ = [
    "check_at_least_one_row",
    "check_housing_boroughs",
    "check_project_sites",
    "check_services_defined",
    "check_travel_references",
    "check_unique_ids",
    "check_unique_travel_pairs",
    "lock_problems",
    "scenario_reference_problems",
]


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
    return cell_problems(file, column, repeated, message)


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
    return cell_problems(file, "services", rows, message)


def _references(
    frame: pd.DataFrame, column: str, file: str, known: pd.Series, what: str
) -> list[Problem]:
    bad = ~frame[column].isin(known).to_numpy()
    message = f"expected a {column} of {what}, got " + frame[column].map(repr).astype(object) + "."
    return cell_problems(file, column, bad, message)


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
    return cell_problems(file, "site_id", repeated, message)


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


def lock_problems(sites: pd.DataFrame, projects: pd.DataFrame, scenario: Scenario) -> list[Problem]:
    """The ``[locks]`` rules: existing ids, no contradictions, feasible within the horizon."""
    s = scenario
    sites = sites.set_index("site_id")
    projects = projects.set_index("project_id")
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


def scenario_reference_problems(
    sites: pd.DataFrame,
    projects: pd.DataFrame,
    scenario: Scenario,
    files: dict[str, str] | None = None,
) -> list[Problem]:
    """The rules that tie a scenario to typed tables: services named in sites and
    projects are defined, housing boroughs exist, the locks hold."""
    files = files or {"sites": "sites", "projects": "projects"}
    return (
        check_services_defined(sites, files["sites"], scenario)
        + check_services_defined(projects, files["projects"], scenario)
        + check_housing_boroughs(scenario, sites)
        + lock_problems(sites, projects, scenario)
    )
