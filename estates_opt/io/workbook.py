"""An estate as one Excel workbook: :func:`write_template` and :func:`read_workbook`.

Sheets ``sites``, ``zones``, ``projects`` and ``travel`` hold the tables of MODEL.md
section 1 (column names as in :mod:`estates_opt.schema`; sites and zones may give their
place as ``x``/``y``, ``lon``/``lat`` or a London ``postcode``), ``scenario`` holds the
policy as rows of ``table``, ``key``, ``value`` (what ``scenario.toml`` would say) and
``notes`` explains every column and unit. ``estates-opt solve estate.xlsx`` reads it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance, validate_instance_frames
from estates_opt.io.own_estate import read_excel_text, read_table
from estates_opt.io.scenario_file import toml_value
from estates_opt.scenario import SCENARIO_FILE, Scenario
from estates_opt.schema import PROJECTS, SITES, TABLES, TRAVEL, ZONES
from estates_opt.validate.scenario import parse_scenario

__all__ = ["read_workbook", "write_template"]

_PLACE_NOTES = [
    ("postcode", "", "a London postcode; used where x/y and lon/lat are blank"),
    ("lon", "degrees", "longitude (WGS84); used where x/y are blank"),
    ("lat", "degrees", "latitude (WGS84); used where x/y are blank"),
]
_SCENARIO_SHEET = "scenario"


def _notes() -> pd.DataFrame:
    rows = []
    for table in TABLES.values():
        for col in table.columns:
            needed = "yes" if col.required and not col.geometry else "no"
            default = "" if col.required else str(col.default)
            doc = col.doc.replace(" (CSV only)", "")
            if col.geometry:
                doc += "; or give postcode, or lon and lat"
            rows.append((table.name, col.name, needed, col.unit, default, col.expected, doc))
        if table.has_geometry:
            rows += [(table.name, n, "no", u, "", "", d) for n, u, d in _PLACE_NOTES]
    rows.append(
        (_SCENARIO_SHEET, "table, key, value", "yes", "", "", "",
         "the policy, as scenario.toml would give it (see docs/guide.md); a list or a "
         "table is written as TOML, e.g. [\"S1\", \"S2\"] or {}")
    )  # fmt: skip
    return pd.DataFrame(
        rows, columns=["sheet", "column", "required", "unit", "default", "expected", "meaning"]
    )


def _scenario_rows(scenario: Scenario) -> pd.DataFrame:
    rows: list[tuple[str, str, Any]] = []
    for table, content in scenario.to_dict().items():
        if table == "services":
            for service, spec in content.items():
                rows += [(f"services.{service}", k, v) for k, v in spec.items()]
            continue
        for key, value in content.items():
            plain = isinstance(value, int | float | str) and not isinstance(value, bool)
            rows.append((table, key, value if plain else toml_value(value)))
    return pd.DataFrame(rows, columns=["table", "key", "value"])


def write_template(
    path: str | os.PathLike[str], scenario: Scenario, instance: Instance | None = None
) -> Path:
    """Write a workbook to fill in: one sheet per table, a scenario sheet and notes.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write.
    scenario
        The policy to start from (the scenario sheet).
    instance
        Fill the tables with this estate; empty tables (headers only) when None.

    Returns
    -------
    pathlib.Path
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    with pd.ExcelWriter(partial, engine="openpyxl") as writer:
        for table in (SITES, ZONES, PROJECTS, TRAVEL):
            names = table.names
            frame = pd.DataFrame(columns=names)
            if instance is not None:
                source = getattr(instance, table.name)
                if source is not None:
                    frame = pd.DataFrame(source.drop(columns="geometry", errors="ignore"))
                    if table.has_geometry:
                        frame["x"], frame["y"] = source.geometry.x, source.geometry.y
                    frame = frame[[n for n in names if n in frame.columns]]
            frame.to_excel(writer, sheet_name=table.name, index=False)
        _scenario_rows(scenario).to_excel(writer, sheet_name=_SCENARIO_SHEET, index=False)
        _notes().to_excel(writer, sheet_name="notes", index=False)
    os.replace(partial, target)
    return target


def _value(cell: object) -> Any:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if not isinstance(cell, str):
        return cell
    try:
        return tomllib.loads(f"v = {cell}")["v"]
    except tomllib.TOMLDecodeError:
        return cell


def _read_scenario(path: Path, file: str) -> Scenario:
    try:
        frame = pd.read_excel(path, sheet_name=_SCENARIO_SHEET, dtype=object)
    except ValueError as err:
        raise InputError(Problem(file, f"expected a sheet named '{_SCENARIO_SHEET}'.")) from err
    data: dict[str, Any] = {}
    for row, (table, key, cell) in enumerate(frame[["table", "key", "value"]].itertuples(False)):
        if pd.isna(table) or pd.isna(key) or pd.isna(cell):
            raise InputError(
                Problem(file, "expected a table, a key and a value, got a blank cell.", row=row + 1)
            )
        node = data
        for part in str(table).split("."):
            node = node.setdefault(part.strip(), {})
        node[str(key).strip()] = _value(cell)
    return parse_scenario(data)


def _optional(path: Path, sheet: str, file: str) -> pd.DataFrame | None:
    with pd.ExcelFile(path) as book:
        if sheet not in book.sheet_names:
            return None
    frame = read_excel_text(path, sheet, file)
    return frame if len(frame) else None


def read_workbook(path: str | os.PathLike[str]) -> Instance:
    """Read and validate an estate workbook (see the module docstring).

    Raises
    ------
    InputError
        Naming the workbook and sheet, row and column of every problem.
    """
    source = Path(path)
    name = source.name
    problems: list[Problem] = []
    frames: dict[str, Any] = {}
    for table in (SITES, ZONES):
        try:
            frames[table.name] = read_table(source, table, sheet=table.name)
        except InputError as err:
            problems += err.problems
    for table in (PROJECTS, TRAVEL):
        frames[table.name] = _optional(source, table.name, f"{name} [{table.name}]")
    scenario = None
    try:
        scenario = _read_scenario(source, f"{name} [{_SCENARIO_SHEET}]")
    except InputError as err:
        problems += [_relabel(p, name) for p in err.problems]
    if problems:
        raise InputError(problems)
    assert scenario is not None
    try:
        return validate_instance_frames(scenario=scenario, name=source.stem, **frames)
    except InputError as err:
        raise InputError([_relabel(p, name) for p in err.problems]) from None


def _relabel(problem: Problem, workbook: str) -> Problem:
    """``projects.csv`` -> ``estate.xlsx [projects]`` (the sheet the problem is in)."""
    stem = problem.file.rsplit(".", 1)[0]
    sheet = _SCENARIO_SHEET if problem.file == SCENARIO_FILE else stem
    if sheet not in (*TABLES, _SCENARIO_SHEET):
        return problem
    return Problem(f"{workbook} [{sheet}]", problem.message, problem.row, problem.column)
