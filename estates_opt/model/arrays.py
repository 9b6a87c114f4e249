"""The model description every backend reads: a MILP as numpy/scipy arrays.

``maximise cost @ v  s.t.  row_lower <= A @ v <= row_upper,  lower <= v <= upper,
v[integer] integral``. Variables come in four blocks (``d``, ``u``, ``x``, ``w``, see
:mod:`estates_opt.model.build`), each with index arrays that say which site, project,
arc, pair and period a column stands for. Rows carry a family code and up to three
keys so a diagnosis or a custom rule can say which requirement a row is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["ROW_FAMILIES", "Block", "ModelArrays"]

# Row families in the order MODEL.md section 4 lists them, then custom rules.
ROW_FAMILIES = (
    "once_site",  # 1
    "once_project",  # 1
    "coverage",  # 2: keys zone, service, period
    "capacity",  # 3: keys site, period
    "utilisation_floor",  # 4: keys site, period
    "availability",  # 5: keys site, service, period
    "project_site",  # 6: keys project
    "exclusive_group",  # 7: keys group position
    "marriage",  # 8: keys pair, period
    "cash",  # 9: keys period
    "receipts_target",  # 10
    "housing_target",  # 11
    "housing_borough",  # 11: keys borough position
    "custom",  # user rules: keys rule position
    "implied",  # valid inequalities for the solver only (estates_opt.optimize.strengthen)
)
FAMILY_CODE = {name: code for code, name in enumerate(ROW_FAMILIES)}


@dataclass(frozen=True)
class Block:
    """A contiguous run of columns ``start .. start + size`` with their index arrays."""

    start: int
    index: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(next(iter(self.index.values()))) if self.index else 0

    @property
    def columns(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.size)

    def values(self, solution: np.ndarray) -> np.ndarray:
        """This block's slice of a solution vector."""
        return solution[self.start : self.start + self.size]


@dataclass
class ModelArrays:
    """A maximisation MILP in array form, plus the index data to read a solution."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    matrix: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_family: np.ndarray
    row_keys: np.ndarray
    blocks: dict[str, Block]
    arcs: pd.DataFrame
    pairs: pd.DataFrame
    demand: np.ndarray
    periods: int
    service_names: tuple[str, ...]
    boroughs: tuple[str, ...] = ()
    rule_names: list[str] = field(default_factory=list)
    objective_offset: float = 0.0
    site_xy: np.ndarray | None = None
    """(sites, 2) easting and northing of each site's representative point (EPSG:27700),
    for searches that work area by area; None for models not built from an instance."""

    @property
    def num_cols(self) -> int:
        return len(self.cost)

    @property
    def num_rows(self) -> int:
        return len(self.row_lower)

    @property
    def num_integer(self) -> int:
        return int(self.integer.sum())

    def objective(self, solution: np.ndarray) -> float:
        """NPV of a solution vector."""
        return float(self.cost @ solution + self.objective_offset)

    def relaxation(
        self, lower: np.ndarray | None = None, upper: np.ndarray | None = None
    ) -> ModelArrays:
        """The LP relaxation (no integer columns), optionally with other column bounds."""
        return dataclasses.replace(
            self,
            lower=self.lower if lower is None else lower,
            upper=self.upper if upper is None else upper,
            integer=np.zeros_like(self.integer),
        )

    def rows_of(self, family: str) -> np.ndarray:
        """Row positions of one family."""
        return np.flatnonzero(self.row_family == FAMILY_CODE[family])

    def add_rows(
        self,
        matrix: sp.csr_array,
        lower: np.ndarray,
        upper: np.ndarray,
        family: str,
        keys: np.ndarray | None = None,
    ) -> None:
        """Append rows (used for custom rules and cuts); every backend sees them."""
        count = matrix.shape[0]
        self.matrix = sp.vstack([self.matrix, matrix], format="csr")
        self.row_lower = np.concatenate([self.row_lower, lower])
        self.row_upper = np.concatenate([self.row_upper, upper])
        self.row_family = np.concatenate(
            [self.row_family, np.full(count, FAMILY_CODE[family], dtype=np.int8)]
        )
        if keys is None:
            keys = np.full((count, 3), -1, dtype=np.int64)
        self.row_keys = np.vstack([self.row_keys, keys])

    def describe(self) -> dict[str, int]:
        """Size of the model: variables, binaries, constraints, non-zeros."""
        return {
            "variables": self.num_cols,
            "binaries": self.num_integer,
            "constraints": self.num_rows,
            "nonzeros": int(self.matrix.nnz),
        }
