"""Read the MODEL.md section 6 output folder of a solve back into tables.

The folder holds ``summary.json``, ``site_decisions.csv``, ``project_decisions.csv``,
``assignments.csv`` and ``marriage_pairs.csv``. Ids are read as text exactly as written
(``"NA"`` stays ``"NA"``); only an empty cell is blank (NaN). Numeric columns are floats
with NaN for blanks; the ``period`` columns of ``assignments.csv`` and
``marriage_pairs.csv`` are integers when every cell is a whole number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem

__all__ = ["PLAN_FILES", "PlanFiles", "read_plan_files"]

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
        data = json.loads((folder / _SUMMARY).read_bytes().decode("utf-8-sig"))
    except FileNotFoundError as err:
        raise InputError(Problem(_SUMMARY, f"file not found in {folder}.")) from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(
            Problem(_SUMMARY, f"expected a JSON object, got unreadable text ({err}).")
        ) from err
    if not isinstance(data, dict):
        raise InputError(Problem(_SUMMARY, f"expected a JSON object, got {type(data).__name__}."))
    return data


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
