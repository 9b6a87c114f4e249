"""SCIP and HiGHS through OR-Tools ``model_builder``, fed straight from the model arrays.

The arrays go in with one vectorised call (``fill_model_from_sparse_data``); only the
integrality flags are set column by column. Options reach the solvers as their own
parameter strings, since ``model_builder`` exposes nothing but a time limit.

OR-Tools ships its own HiGHS build; highspy 1.16 and OR-Tools 9.15 coexist in one
process in either import order (highspy 1.15 does not: or-tools issue #5246).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
import ortools
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

from estates_opt.backends.base import Capabilities, SolveOptions, SolverResult
from estates_opt.model.arrays import ModelArrays
from estates_opt.status import Status

__all__ = ["OrtoolsHighsBackend", "OrtoolsScipBackend", "to_model_builder"]

log = logging.getLogger(__name__)

_SS = mb.SolveStatus
_NO_ANSWER = {
    _SS.ABNORMAL: "the solver stopped abnormally",
    _SS.MODEL_INVALID: "OR-Tools rejected the model as invalid",
    _SS.INVALID_SOLVER_PARAMETERS: "the solver rejected its parameters",
    _SS.SOLVER_TYPE_UNAVAILABLE: "this OR-Tools build lacks the solver",
    _SS.INCOMPATIBLE_OPTIONS: "incompatible solver options",
    _SS.UNBOUNDED: "the model is unbounded",
}


def to_model_builder(model: ModelArrays) -> mb.Model:
    """The model as an OR-Tools ``model_builder.Model`` (maximisation)."""
    built = mb.Model()
    helper = built.helper
    fill: Any = helper.fill_model_from_sparse_data  # its stubs mistype the array arguments
    fill(
        np.asarray(model.lower, dtype=np.float64),
        np.asarray(model.upper, dtype=np.float64),
        np.asarray(model.cost, dtype=np.float64),
        np.asarray(model.row_lower, dtype=np.float64),
        np.asarray(model.row_upper, dtype=np.float64),
        _csr_matrix(model),
    )
    for column in np.flatnonzero(model.integer):
        helper.set_var_integrality(int(column), True)
    helper.set_maximize(True)
    helper.set_objective_offset(float(model.objective_offset))
    return built


def _csr_matrix(model: ModelArrays) -> sp.csr_matrix:
    """The constraint matrix as a float64 ``csr_matrix`` with sorted indices."""
    matrix = sp.csr_matrix(model.matrix, dtype=np.float64)
    matrix.sort_indices()
    return matrix


class _OrtoolsBackend:
    """Shared driver; subclasses name the solver and spell its parameters."""

    name = ""
    solver_name = ""
    label = ""
    capabilities = Capabilities(mip_start=True)
    no_incumbent_note = ""
    hints_note = ""

    def parameters(self, options: SolveOptions) -> str:
        """Solver-specific parameter string for ``options`` (gap, threads, seed)."""
        raise NotImplementedError

    def solve(
        self, model: ModelArrays, options: SolveOptions, start: np.ndarray | None = None
    ) -> SolverResult:
        """Solve with OR-Tools ``model_builder``; a MIP start is passed as hints (SCIP only)."""
        built = to_model_builder(model)
        if start is not None and self.capabilities.mip_start:
            for column, value in enumerate(np.asarray(start, dtype=float).tolist()):
                built.helper.add_hint(column, value)
        elif start is not None:
            log.info("%s: MIP start ignored (%s)", self.name, self.hints_note)
        solver = mb.Solver(self.solver_name)
        if not solver.solver_is_supported():
            return SolverResult(
                Status.NO_SOLUTION,
                None,
                None,
                None,
                self._solver_string(),
                0.0,
                f"this OR-Tools build has no {self.label} solver",
            )
        solver.enable_output(bool(options.log))
        if options.time_limit is not None:
            solver.set_time_limit_in_seconds(float(options.time_limit))
        solver.set_solver_specific_parameters(self.parameters(options))
        began = time.perf_counter()
        solve_status = solver.solve(built)
        seconds = time.perf_counter() - began
        return self._result(solver, solve_status, built, model, options, seconds)

    def _solver_string(self) -> str:
        return f"{self.label} via OR-Tools {getattr(ortools, '__version__', '(unknown)')}"

    def _result(
        self,
        solver: mb.Solver,
        solve_status: mb.SolveStatus,
        built: mb.Model,
        model: ModelArrays,
        options: SolveOptions,
        seconds: float,
    ) -> SolverResult:
        label = self._solver_string()
        detail = solver.status_string
        if solve_status == _SS.INFEASIBLE:
            return SolverResult(
                Status.INFEASIBLE, None, None, None, label, seconds, detail or "infeasible"
            )
        has_solution = solve_status in (_SS.OPTIMAL, _SS.FEASIBLE) and _finite(
            solver.objective_value
        )
        if not has_solution:
            # NOT_SOLVED, UNKNOWN_STATUS, CANCELLED_BY_USER: stopped by a limit
            reason = _NO_ANSWER.get(solve_status, "no feasible solution found within the limits")
            message = f"{self.label} via OR-Tools: {reason} (status {solve_status.name}"
            message += f": {detail})" if detail else ")"
            if solve_status not in _NO_ANSWER and self.no_incumbent_note:
                message += f"; {self.no_incumbent_note}"
            return SolverResult(Status.NO_SOLUTION, None, None, None, label, seconds, message)
        values = solver.values(built.get_variables()).to_numpy(dtype=float)
        objective = model.objective(values)
        bound = self._bound(solver, solve_status, objective, model, options)
        status = Status.OPTIMAL if solve_status == _SS.OPTIMAL else Status.FEASIBLE
        return SolverResult(
            status, values, objective, bound, label, seconds, detail or solve_status.name.lower()
        )

    def _bound(
        self,
        solver: mb.Solver,
        solve_status: mb.SolveStatus,
        objective: float,
        model: ModelArrays,
        options: SolveOptions,
    ) -> float | None:
        if not model.num_integer:
            return objective if solve_status == _SS.OPTIMAL else None
        if not self.capabilities.proves_bound:
            # OR-Tools' HiGHS wrapper echoes the objective as the bound: only an
            # optimum at gap 0 makes that true.
            proven = solve_status == _SS.OPTIMAL and options.mip_gap == 0
            return objective if proven else None
        bound = float(solver.best_objective_bound)
        return bound if math.isfinite(bound) else None


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


class OrtoolsScipBackend(_OrtoolsBackend):
    """SCIP through OR-Tools (the bound is SCIP's dual bound)."""

    name = "ortools-scip"
    solver_name = "scip"
    label = "SCIP"

    def parameters(self, options: SolveOptions) -> str:
        """SCIP ``name = value`` lines: gap, random seed shift, threads."""
        lines = [
            f"limits/gap = {options.mip_gap!r}",
            f"randomization/randomseedshift = {int(options.seed)}",
        ]
        if options.threads is not None:
            lines.append(f"parallel/maxnthreads = {int(options.threads)}")
        if options.node_limit is not None:
            lines.append(f"limits/nodes = {int(options.node_limit)}")
        return "\n".join(lines)


class OrtoolsHighsBackend(_OrtoolsBackend):
    """HiGHS through OR-Tools (OR-Tools' own HiGHS build)."""

    name = "ortools-highs"
    solver_name = "highs"
    label = "HiGHS"
    capabilities = Capabilities(mip_start=False, proves_bound=False)
    no_incumbent_note = (
        "OR-Tools' HiGHS interface drops the incumbent when a limit stops the run; "
        "solver='highs' keeps it"
    )
    hints_note = "OR-Tools 9.15's HiGHS interface crashes the process on solution hints"

    def parameters(self, options: SolveOptions) -> str:
        """HiGHS ``name=value`` lines: gap, random seed, threads."""
        lines = [f"mip_rel_gap={options.mip_gap!r}", f"random_seed={int(options.seed)}"]
        if not options.log:  # OR-Tools prints HiGHS' banner unless HiGHS is told not to
            lines.append("output_flag=false")
        if options.threads is not None:
            lines.append(f"threads={int(options.threads)}")
        if options.node_limit is not None:
            lines.append(f"mip_max_nodes={int(options.node_limit)}")
        return "\n".join(lines)
