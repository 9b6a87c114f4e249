"""Exceptions and warnings raised by estates_opt.

This module imports nothing from the package so every layer can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DataWarning",
    "EstatesOptError",
    "InputError",
    "Problem",
    "SolverError",
    "SolverNotAvailableError",
]


class EstatesOptError(Exception):
    """Base class of every error estates_opt raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected.

    ``row`` is the 1-based data row (the first row under the header is row 1),
    ``None`` where the problem is about a whole file or column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class InputError(EstatesOptError, ValueError):
    """The instance folder or a table in it breaks an input rule.

    Carries every problem found (``problems``); the first one is also exposed as
    ``file``, ``row`` and ``column``. ``str(err)`` lists them all, one per line.

    Examples
    --------
    >>> err = InputError([Problem("sites.csv", "expected a finite number >= 0, got '-250'.",
    ...                           row=14, column="capacity_m2")])
    >>> print(err)
    sites.csv, row 14, column capacity_m2: expected a finite number >= 0, got '-250'.
    """

    def __init__(self, problems: list[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def file(self) -> str:
        return self.problems[0].file

    @property
    def row(self) -> int | None:
        return self.problems[0].row

    @property
    def column(self) -> str | None:
        return self.problems[0].column


class SolverNotAvailableError(EstatesOptError):
    """The requested solver is unknown or its Python package is not installed."""


class SolverError(EstatesOptError):
    """A solver failed in a way that left no usable status."""


class DataWarning(UserWarning):
    """The library repaired or reinterpreted input data (e.g. reprojected it)."""
