"""Read the MODEL.md section 6 output folder of a solve back into tables.

The folder holds ``summary.json``, ``site_decisions.csv``, ``project_decisions.csv``,
``assignments.csv`` and ``marriage_pairs.csv``. Ids are read as text exactly as written
(``"NA"`` stays ``"NA"``); only an empty cell is blank (NaN). Numeric columns are floats
with NaN for blanks; the ``period`` columns of ``assignments.csv`` and
``marriage_pairs.csv`` are integers when every cell is a whole number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem

__all__ = ["PLAN_FILES", "PlanFiles", "read_plan_files", "summary_problems"]

#: file name -> (id columns read as text, numeric columns, required columns)
PLAN_FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "site_decisions.csv": (
        ("site_id", "decision"),
        ("dispose_period", "receipt", "housing_units"),
        ("site_id", "decision", "dispose_period", "receipt", "housing_units"),
    ),
    "project_decisions.csv": (
        ("project_id", "site_id"),
        ("start_period", "ready_period", "capex"),
        ("project_id", "site_id", "start_period", "ready_period", "capex"),
    ),
    "assignments.csv": (
        ("zone_id", "site_id", "service"),
        ("period", "share"),
        ("zone_id", "site_id", "service", "period", "share"),
    ),
    "marriage_pairs.csv": (
        ("site_a", "site_b"),
        ("period", "value_uplift", "housing_uplift"),
        ("site_a", "site_b", "period", "value_uplift", "housing_uplift"),
    ),
}
_SUMMARY = "summary.json"
_NO_DECISIONS = ("infeasible", "no_solution")
_STATUSES = ("optimal", "feasible", "infeasible", "no_solution")
#: summary keys holding a number or null; the KPIs among them are checked when present
_NUMBERS = ("objective", "best_bound", "mip_gap")
_KPI_NUMBERS = (
    "receipts", "receipts_target", "housing_units", "housing_target", "sites_disposed",
    "floor_area_released_m2", "projects_built", "capex", "running_cost_saving_per_year",
    "backlog_avoided", "marriage_pairs", "utilisation_before", "utilisation_after",
    "colocated_hubs",
)  # fmt: skip
_TEXT = ("solver", "message", "instance")
_OBJECTS = ("timings", "model_size")


class _NonFinite(str):
    """A NaN or Infinity read from JSON (kept to name its key in the error)."""


@dataclass(frozen=True, eq=False)
class PlanFiles:
    """The tables of one section 6 output folder.

    ``summary`` is ``summary.json`` as a dict; the four frames hold the CSV files
    (columns of MODEL.md section 6 plus any extra ones, e.g. ``utilisation_p1``).
    """

    summary: dict[str, Any]
    site_decisions: pd.DataFrame
    project_decisions: pd.DataFrame
    assignments: pd.DataFrame
    marriage_pairs: pd.DataFrame
    path: Path | None = field(default=None)

    @property
    def status(self) -> str | None:
        """``summary.json`` status (``optimal``, ``feasible``, ``infeasible``, ``no_solution``)."""
        status = self.summary.get("status")
        return None if status is None else str(status)

    @property
    def objective(self) -> float | None:
        """The reported NPV in GBP, None when the summary has none."""
        value = self.summary.get("objective")
        return None if value is None else float(value)

    def __repr__(self) -> str:
        return (
            f"PlanFiles({str(self.path)!r}: status {self.status}, objective {self.objective}, "
            f"{len(self.site_decisions)} sites, {len(self.project_decisions)} projects, "
            f"{len(self.assignments)} assignments, {len(self.marriage_pairs)} marriage pairs)"
        )


def read_plan_files(path: str | Path) -> PlanFiles:
    """Read a MODEL.md section 6 output folder.

    Parameters
    ----------
    path
        The ``--out`` folder of ``estates-opt solve``.

    Returns
    -------
    PlanFiles
        The summary and the four decision tables. A plan whose status is
        ``infeasible`` or ``no_solution`` may lack the CSV files; its tables are empty.

    Raises
    ------
    InputError
        A file is missing or unreadable, lacks a column, or holds a non-number in a
        numeric column (naming the file, row and column).

    Examples
    --------
    >>> plan = read_plan_files("../shared/instances/p01/reference_plan")  # doctest: +SKIP
    >>> plan.objective  # doctest: +SKIP
    32899849.854692984
    """
    folder = Path(path)
    summary = _read_summary(folder)
    optional = str(summary.get("status")) in _NO_DECISIONS
    tables = {name: _read_table(folder, name, optional) for name in PLAN_FILES}
    return PlanFiles(
        summary=summary,
        site_decisions=tables["site_decisions.csv"],
        project_decisions=tables["project_decisions.csv"],
        assignments=tables["assignments.csv"],
        marriage_pairs=tables["marriage_pairs.csv"],
        path=folder,
    )


def _read_summary(folder: Path) -> dict[str, Any]:
    try:
        text = (folder / _SUMMARY).read_bytes().decode("utf-8-sig")
        data = json.loads(text, parse_constant=_NonFinite)
    except FileNotFoundError as err:
        raise InputError(Problem(_SUMMARY, f"file not found in {folder}.")) from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(
            Problem(_SUMMARY, f"expected a JSON object, got unreadable text ({err}).")
        ) from err
    if not isinstance(data, dict):
        raise InputError(Problem(_SUMMARY, f"expected a JSON object, got {type(data).__name__}."))
    problems = summary_problems(data)
    if problems:
        raise InputError(problems)
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _got(value: Any) -> str:
    if isinstance(value, _NonFinite):
        return str(value)
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _non_finite(value: Any, key: str) -> Iterator[Problem]:
    if isinstance(value, _NonFinite):
        yield Problem(_SUMMARY, f"key '{key}': expected a finite number or null, got {value}.")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_finite(v, f"{key}[{i}]")


def summary_problems(summary: dict[str, Any]) -> list[Problem]:
    """What is wrong with the content of a ``summary.json`` (empty when nothing is).

    Checked: ``status`` is one of the four statuses; ``objective``, ``best_bound`` and
    ``mip_gap`` are finite numbers or null (``objective`` a number when the plan has
    decisions); an ``optimal`` or ``feasible`` plan has a non-empty ``kpis`` object whose
    known numeric KPIs are finite numbers or null; text and object keys have their types;
    no NaN or Infinity anywhere. Unknown keys are allowed.
    """
    problems = list(_non_finite(summary, ""))
    if problems:
        return problems

    def bad(key: str, expected: str) -> None:
        problems.append(
            Problem(_SUMMARY, f"key '{key}': expected {expected}, got {_got(summary_get(key))}.")
        )

    def summary_get(key: str) -> Any:
        value: Any = summary
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    status = summary.get("status")
    if "status" not in summary:
        problems.append(
            Problem(_SUMMARY, f"key 'status' is missing; expected one of {', '.join(_STATUSES)}.")
        )
    elif status not in _STATUSES:
        bad("status", f"one of {', '.join(_STATUSES)}")
    for key in _NUMBERS:
        value = summary.get(key)
        if value is not None and not _is_number(value):
            bad(key, "a number or null")
    if _is_number(summary.get("mip_gap")) and summary["mip_gap"] < 0:
        bad("mip_gap", "a number >= 0 or null")
    for key in _TEXT:
        if summary.get(key) is not None and not isinstance(summary[key], str):
            bad(key, "text")
    for key in _OBJECTS:
        if key in summary and not isinstance(summary[key], dict):
            bad(key, "an object")
    if "shortfalls" in summary and not (
        isinstance(summary["shortfalls"], list)
        and all(isinstance(row, dict) for row in summary["shortfalls"])
    ):
        bad("shortfalls", "a list of objects")
    solved = status in ("optimal", "feasible")
    if solved and not _is_number(summary.get("objective")):
        bad("objective", f"a number for a plan with status {status}")
    kpis = summary.get("kpis")
    if "kpis" not in summary:
        if solved:
            problems.append(
                Problem(
                    _SUMMARY,
                    f"key 'kpis' is missing; a plan with status {status} has its KPIs there.",
                )
            )
    elif not isinstance(kpis, dict):
        bad("kpis", "an object")
    elif solved and not kpis:
        bad("kpis", f"the KPIs of a plan with status {status}")
    else:
        for key in _KPI_NUMBERS:
            value = kpis.get(key)
            if value is not None and not _is_number(value):
                bad(f"kpis.{key}", "a number or null")
        cash = kpis.get("cash_position")
        if cash is not None and not (isinstance(cash, list) and all(map(_is_number, cash))):
            bad("kpis.cash_position", "a list of numbers")
        for key in ("travel_first_period", "travel_last_period", "npv_terms"):
            if kpis.get(key) is not None and not isinstance(kpis[key], dict):
                bad(f"kpis.{key}", "an object")
    return problems


def _read_table(folder: Path, name: str, optional: bool) -> pd.DataFrame:
    ids, numeric, required = PLAN_FILES[name]
    file = folder / name
    if optional and not file.exists():
        frame = pd.DataFrame({col: pd.Series(dtype=object) for col in ids})
        return frame.assign(**{col: pd.Series(dtype=float) for col in numeric})
    try:
        frame = pd.read_csv(
            file, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except FileNotFoundError as err:
        raise InputError(Problem(name, f"file not found in {folder}.")) from err
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(
            Problem(name, f"expected UTF-8 CSV text, got unreadable data ({err}).")
        ) from err
    except pd.errors.EmptyDataError as err:
        raise InputError(Problem(name, "expected a header row, got an empty file.")) from err
    missing = [col for col in required if col not in frame.columns]
    if missing:
        got = ", ".join(frame.columns) or "none"
        message = f"expected this column in the header, got only {got}."
        raise InputError([Problem(name, message, column=col) for col in missing])
    extra_numeric = [col for col in frame.columns if col.startswith("utilisation_p")]
    for col in (*numeric, *extra_numeric):
        frame[col] = _numbers(frame[col], name, col)
    for col in ("period",):
        if col in frame.columns:
            values = frame[col].to_numpy(dtype=float)
            if np.all(np.isfinite(values) & (values == np.round(values))):
                frame[col] = values.astype(np.int64)
    for col in ids:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _numbers(column: pd.Series, file: str, name: str) -> pd.Series:
    """Floats from text cells; blanks are NaN, anything else not a number is an error."""
    values = pd.to_numeric(column, errors="coerce").astype(float)
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        got = column[bad].iloc[0]
        raise InputError(Problem(file, f"expected a number, got '{got}'.", row=row, column=name))
    return values
