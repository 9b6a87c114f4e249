"""A model kept in a solver's memory and re-solved after small changes.

Loops above the backends (cut separation, the Lagrangian master, LP completions, the
LP start of the neighbourhood search) re-solve one model many times with new costs,
bounds or rows; rebuilding it each time would cost more than the solve. :class:`Engine`
is that loop's solver: HiGHS, silent, warm-started between runs. It is the only way
code outside :mod:`estates_opt.backends` reaches a solver package, and it imports
highspy only when an engine is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from estates_opt.model.arrays import ModelArrays

__all__ = ["Engine", "EngineResult"]


@dataclass(frozen=True)
class EngineResult:
    """One run: ``status`` is ``optimal``, ``infeasible`` or ``stopped`` (a limit, or
    anything else); ``values`` and ``duals`` (reduced costs) are None without a
    feasible solution; ``bound`` is the best bound proved (the dual bound of a MIP, the
    objective of an optimal LP), ``inf`` when none."""

    status: str
    values: np.ndarray | None
    duals: np.ndarray | None
    objective: float | None
    bound: float


class Engine:
    """HiGHS holding ``model`` (a maximisation), silent, for repeated solves.

    Parameters
    ----------
    model
        The model; integer columns stay integer (pass ``model.relaxation()`` for an LP).
    mip_gap
        Relative gap of MIP runs (HiGHS's default when None).
    """

    def __init__(self, model: ModelArrays, *, mip_gap: float | None = None) -> None:
        from estates_opt.backends.highs import silent_highs, to_highs_lp

        self._h: Any = silent_highs(to_highs_lp(model))
        self._n = model.num_cols
        self._all = np.arange(self._n, dtype=np.int32)
        self._is_mip = bool(model.integer.any())
        if mip_gap is not None:
            self._h.setOptionValue("mip_rel_gap", float(mip_gap))

    def solve(self, time_limit: float | None = None) -> EngineResult:
        """Run from the current state (warm start) within ``time_limit`` seconds."""
        import highspy

        self._h.setOptionValue("time_limit", np.inf if time_limit is None else time_limit)
        self._h.run()
        status = self._h.getModelStatus()
        info = self._h.getInfo()
        feasible = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        optimal = status == highspy.HighsModelStatus.kOptimal
        if status == highspy.HighsModelStatus.kInfeasible:
            return EngineResult("infeasible", None, None, None, -np.inf)
        solution = self._h.getSolution()
        values = np.asarray(solution.col_value) if feasible else None
        duals = np.asarray(solution.col_dual) if feasible and not self._is_mip else None
        objective = float(info.objective_function_value) if feasible else None
        if self._is_mip:
            bound = float(info.mip_dual_bound)
        else:
            bound = objective if optimal and objective is not None else np.inf
        bound = bound if np.isfinite(bound) else np.inf
        return EngineResult("optimal" if optimal else "stopped", values, duals, objective, bound)

    def set_costs(self, cost: np.ndarray) -> None:
        """Replace every column's objective coefficient."""
        self._h.changeColsCost(self._n, self._all, np.asarray(cost, dtype=float))

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Set the bounds of ``columns`` (positions) to ``lower`` and ``upper``."""
        columns = np.asarray(columns, dtype=np.int32)
        self._h.changeColsBounds(
            len(columns), columns, np.asarray(lower, float), np.asarray(upper, float)
        )

    def add_rows(self, rows: sp.csr_array, lower: np.ndarray, upper: np.ndarray) -> None:
        """Append rows ``lower <= rows @ v <= upper``."""
        rows = sp.csr_array(rows)
        self._h.addRows(
            rows.shape[0], np.asarray(lower, float), np.asarray(upper, float), rows.nnz,
            rows.indptr[:-1].astype(np.int32), rows.indices.astype(np.int32), rows.data,
        )  # fmt: skip
