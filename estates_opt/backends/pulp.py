"""PuLP fed from the model arrays, and HiGHS through PuLP (CBC: :mod:`.cbc`).

The arrays become one ``LpProblem`` (one variable per column, one or two constraints
per row, see :func:`to_pulp`).

PuLP 3.3's ``__init__`` loads highspy's ``_core*.so`` with ``RTLD_GLOBAL``. Its HiGHS
1.16 symbols then take precedence over OR-Tools' own HiGHS 1.12 build, and the next
OR-Tools solve crashes the interpreter (segmentation fault). :func:`_import_pulp`
imports PuLP with that load made local; PuLP's HiGHS interface works the same.
"""

from __future__ import annotations

import ctypes
import importlib
import math
import sys
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from estates_opt.backends.base import Capabilities, SolveOptions, SolverResult
from estates_opt.model.arrays import ModelArrays
from estates_opt.status import Status


def _import_pulp() -> ModuleType:
    """Import PuLP without its ``RTLD_GLOBAL`` load of highspy (see the module docstring)."""
    if "pulp" in sys.modules:  # imported elsewhere already: too late to keep it local
        return sys.modules["pulp"]
    saved = ctypes.RTLD_GLOBAL
    ctypes.RTLD_GLOBAL = ctypes.RTLD_LOCAL  # type: ignore[misc]
    try:
        return importlib.import_module("pulp")
    finally:
        ctypes.RTLD_GLOBAL = saved  # type: ignore[misc]


if TYPE_CHECKING:
    import pulp
else:
    pulp = _import_pulp()

__all__ = ["PulpHighsBackend", "column_values", "named_start", "set_start", "to_pulp"]


def to_pulp(model: ModelArrays) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The model as a maximisation ``LpProblem`` and its variables in column order.

    Variables are named ``v<column>`` zero-padded, so PuLP's name order is column
    order. A row with two finite, different bounds becomes two constraints; a free
    row is dropped. The objective offset is left out (added back from the solution).
    """
    prob = pulp.LpProblem("estates_opt", pulp.LpMaximize)
    width = len(str(max(model.num_cols - 1, 0)))
    columns = [
        prob.add_variable(
            f"v{j:0{width}d}",
            _finite_or_none(lo),
            _finite_or_none(hi),
            pulp.LpInteger if is_int else pulp.LpContinuous,
        )
        for j, (lo, hi, is_int) in enumerate(
            zip(model.lower.tolist(), model.upper.tolist(), model.integer.tolist(), strict=True)
        )
    ]
    prob.setObjective(pulp.LpAffineExpression(zip(columns, model.cost.tolist(), strict=True)))
    csr = model.matrix.tocsr()
    indptr, indices, data = csr.indptr, csr.indices.tolist(), csr.data.tolist()
    for i, (lo, hi) in enumerate(
        zip(model.row_lower.tolist(), model.row_upper.tolist(), strict=True)
    ):
        begin, end = indptr[i], indptr[i + 1]
        terms = [(columns[j], a) for j, a in zip(indices[begin:end], data[begin:end], strict=True)]
        has_lo, has_hi = math.isfinite(lo), math.isfinite(hi)
        if has_lo and has_hi and lo == hi:
            prob.addConstraint(_row(terms, pulp.LpConstraintEQ, lo), f"r{i}")
            continue
        if has_lo:
            prob.addConstraint(_row(terms, pulp.LpConstraintGE, lo), f"r{i}_lo")
        if has_hi:
            prob.addConstraint(_row(terms, pulp.LpConstraintLE, hi), f"r{i}_hi")
    return prob, columns


def _row(terms: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float) -> pulp.LpConstraint:
    return pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def column_values(model: ModelArrays, columns: list[pulp.LpVariable]) -> np.ndarray:
    """Column values; a column PuLP never saw (no cost, no rows) sits at its bound nearest 0."""
    values = np.array([np.nan if v.varValue is None else v.varValue for v in columns], dtype=float)
    unseen = np.isnan(values)
    values[unseen] = np.clip(0.0, model.lower[unseen], model.upper[unseen])
    return values


def named_start(columns: list[pulp.LpVariable], start: np.ndarray) -> dict[str, float]:
    return {
        v.name: x for v, x in zip(columns, np.asarray(start, dtype=float).tolist(), strict=True)
    }


def set_start(columns: list[pulp.LpVariable], start: np.ndarray) -> None:
    for variable, value in zip(columns, np.asarray(start, dtype=float).tolist(), strict=True):
        variable.setInitialValue(value, check=False)


class _HighsRun(pulp.HiGHS):
    """PuLP's ``HiGHS`` on the plain highspy core object, with an optional MIP start.

    ``highspy.Highs()`` prints its banner before ``output_flag`` can be switched off;
    the core ``_Highs`` does not.
    """

    def __init__(self, *, start: dict[str, float] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        """Create the solver object and set the options (as PuLP does)."""
        from highspy._core import _Highs

        h = _Highs()
        h.setOptionValue("output_flag", bool(self.msg))
        if self.gapRel is not None:
            h.setOptionValue("mip_rel_gap", float(self.gapRel))
        if self.threads is not None:
            # HiGHS fixes its thread pool at the first run in a process; a different
            # ``threads`` later fails the run ("Not Set") unless the pool is reset.
            _Highs.resetGlobalScheduler(True)
            h.setOptionValue("threads", int(self.threads))
        if self.timeLimit is not None:
            h.setOptionValue("time_limit", float(self.timeLimit))
        for key, value in self.optionsDict.items():
            h.setOptionValue(key, value)
        lp.solverModel = h

    def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:
        """PuLP's reading, tolerating the statuses it does not map (a node limit ends
        in HiGHS's ``kSolutionLimit``): the backend reads the status from HiGHS itself."""
        try:
            status, sol_status = super().findSolutionValues(lp)
            return int(status), int(sol_status)
        except KeyError:  # the values were assigned before PuLP looked the status up
            return pulp.LpStatusNotSolved, pulp.LpSolutionIntegerFeasible

    def callSolver(self, lp: pulp.LpProblem) -> None:
        """Pass the MIP start (in PuLP's column order), then run."""
        if self.start is not None:
            import highspy

            solution = highspy.HighsSolution()
            values = [0.0] * lp.solverModel.getNumCol()
            for variable in lp.variables():
                values[variable.index] = self.start.get(variable.name, 0.0)
            solution.col_value = values
            solution.value_valid = True
            lp.solverModel.setSolution(solution)
        lp.solverModel.run()


class PulpHighsBackend:
    """HiGHS through PuLP (its highspy interface)."""

    name = "pulp-highs"
    capabilities = Capabilities(mip_start=True)

    def solve(
        self, model: ModelArrays, options: SolveOptions, start: np.ndarray | None = None
    ) -> SolverResult:
        """Solve with HiGHS via PuLP; a MIP start is passed with ``setSolution``."""
        import highspy

        prob, columns = to_pulp(model)
        run = _HighsRun(
            msg=bool(options.log),
            gapRel=float(options.mip_gap),
            threads=options.threads,
            timeLimit=options.time_limit,
            random_seed=int(options.seed),
            start=None if start is None else named_start(columns, start),
            **({} if options.node_limit is None else {"mip_max_nodes": int(options.node_limit)}),
        )
        began = time.perf_counter()
        prob.solve(run)
        seconds = time.perf_counter() - began
        h = prob.solverModel
        ms = highspy.HighsModelStatus
        model_status = h.getModelStatus()
        info = h.getInfo()
        solver = f"HiGHS {h.version()} via PuLP {pulp.__version__}"
        text = h.modelStatusToString(model_status)
        has_solution = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return SolverResult(Status.INFEASIBLE, None, None, None, solver, seconds, text)
        limits = {
            ms.kTimeLimit,
            ms.kIterationLimit,
            ms.kSolutionLimit,
            ms.kInterrupt,
            ms.kMemoryLimit,
            ms.kObjectiveBound,
            ms.kObjectiveTarget,
            ms.kHighsInterrupt,  # type: ignore[attr-defined]  # missing from highspy's stubs
        }
        if model_status == ms.kOptimal and has_solution:
            status = Status.OPTIMAL
        elif model_status in limits and has_solution:
            status = Status.FEASIBLE
        else:
            reason = (
                "no feasible solution within the limits"
                if model_status in limits
                else ("HiGHS stopped without a solution")
            )
            return SolverResult(
                Status.NO_SOLUTION,
                None,
                None,
                None,
                solver,
                seconds,
                f"{reason} (model status '{text}')",
            )
        values = column_values(model, columns)
        objective = model.objective(values)
        # PuLP hands HiGHS the negated objective without the offset: undo both.
        bound: float | None = (
            -float(info.mip_dual_bound) + model.objective_offset
            if model.num_integer
            else (objective)
        )
        if bound is not None and not math.isfinite(bound):
            bound = None
        return SolverResult(status, values, objective, bound, solver, seconds, text)
