"""CBC and HiGHS through PuLP, both fed from the model arrays.

The arrays become one ``LpProblem`` (one variable per column, one or two constraints
per row, see :func:`to_pulp`). Three PuLP 3.3 traps are handled here:

* PuLP reports ``"Optimal"`` for a CBC run stopped by its time limit with an
  incumbent; the status is read from ``prob.sol_status`` instead, so such a run is
  ``feasible``, never ``optimal``.
* CBC can overrun ``timeLimit`` by minutes, so it runs under a hard wall-clock
  watchdog (:data:`HARD_LIMIT_GRACE_S`) that kills the process; CBC's log is kept to
  read its version and its bound, which PuLP does not pass on.
* ``PULP_CBC_CMD`` is deprecated (gone in PuLP 4): CBC runs through ``COIN_CMD`` with
  a ``cbc`` found on ``PATH`` or, failing that, the binary bundled with PuLP 3.

PuLP 3.3's ``__init__`` loads highspy's ``_core*.so`` with ``RTLD_GLOBAL``. Its HiGHS
1.16 symbols then take precedence over OR-Tools' own HiGHS 1.12 build, and the next
OR-Tools solve crashes the interpreter (segmentation fault). :func:`_import_pulp`
imports PuLP with that load made local; PuLP's HiGHS interface works the same.
"""

from __future__ import annotations

import ctypes
import importlib
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from estates_opt.backends.base import Capabilities, SolveOptions, SolverResult
from estates_opt.errors import SolverNotAvailableError
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
    from pulp.apis import coin_api
else:
    pulp = _import_pulp()
    from pulp.apis import coin_api

__all__ = ["HARD_LIMIT_GRACE_S", "PulpCbcBackend", "PulpHighsBackend", "cbc_path", "to_pulp"]

#: Seconds CBC may run past ``time_limit`` (plus half the limit) before it is killed.
HARD_LIMIT_GRACE_S = 10.0


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


def _solution(model: ModelArrays, columns: list[pulp.LpVariable]) -> np.ndarray:
    """Column values; a column PuLP never saw (no cost, no rows) sits at its bound nearest 0."""
    values = np.array([np.nan if v.varValue is None else v.varValue for v in columns], dtype=float)
    unseen = np.isnan(values)
    values[unseen] = np.clip(0.0, model.lower[unseen], model.upper[unseen])
    return values


def _named(columns: list[pulp.LpVariable], start: np.ndarray) -> dict[str, float]:
    return {
        v.name: x for v, x in zip(columns, np.asarray(start, dtype=float).tolist(), strict=True)
    }


def _set_start(columns: list[pulp.LpVariable], start: np.ndarray) -> None:
    for variable, value in zip(columns, np.asarray(start, dtype=float).tolist(), strict=True):
        variable.setInitialValue(value, check=False)


def cbc_path() -> str | None:
    """The CBC executable: ``cbc`` on ``PATH``, else the one bundled with PuLP 3."""
    found = shutil.which("cbc")
    if found:
        return found
    bundled = getattr(coin_api, "pulp_cbc_path", None)
    if bundled is None:
        return None
    bundled = coin_api.COIN_CMD.executableExtension(bundled)
    return bundled if os.path.isfile(bundled) and os.access(bundled, os.X_OK) else None


class _CbcRun(coin_api.COIN_CMD):
    """``COIN_CMD`` for one run: CBC under a wall-clock watchdog, its log captured.

    Only ``solve_CBC`` differs from PuLP's: the process is waited on with a timeout
    and killed past ``wall_limit``; temporary files go even when CBC fails.
    """

    def __init__(self, *, wall_limit: float | None, echo: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wall_limit = wall_limit
        self.echo = echo
        self.log_lines: list[str] = []
        self.status_line = ""
        self.killed = False
        self.returncode: int | None = None

    def solve_CBC(self, lp: pulp.LpProblem, use_mps: bool = True) -> int:
        """Write the MPS file, run CBC, read its solution back into ``lp``."""
        mps, sol, mst = self.create_tmp_files(lp.name, "mps", "sol", "mst")
        try:
            vs, var_names, con_names, _ = lp.writeMPS(mps, rename=1)
            args = [self.path, mps]
            if lp.sense == pulp.LpMaximize:
                args.append("-max")
            if self.optionsDict.get("warmStart", False):
                self.writesol(mst, lp, vs, var_names, con_names)
                args += ["-mips", mst]
            if self.timeLimit is not None:
                args += ["-sec", str(self.timeLimit)]
            for option in self.options + self.getOptions():
                args += f"-{option}".split()
            args += ["-solve" if self.mip else "-initialSolve", "-printingOptions", "all"]
            args += ["-solution", sol]
            self._run(args)
            if self.killed or self.returncode != 0 or not os.path.exists(sol):
                lp.assignStatus(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)
                return pulp.LpStatusNotSolved
            with open(sol) as handle:
                self.status_line = handle.readline().strip()
            status, values, _, _, _, sol_status = self.readsol_MPS(
                sol, lp, vs, var_names, con_names
            )
            lp.assignVarsVals(values)
            lp.assignStatus(status, sol_status)
            return int(status)
        finally:
            self.delete_tmp_files(mps, sol, mst)

    def _run(self, args: list[str]) -> None:
        with subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        ) as process:
            reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
            reader.start()
            try:
                process.wait(timeout=self.wall_limit)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                self.killed = True
            reader.join()
        self.returncode = process.returncode

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.log_lines.append(line)
            if self.echo:
                sys.stdout.write(line)
                sys.stdout.flush()

    def log_value(self, label: str) -> str | None:
        """The value after ``label:`` in the log's final report, if CBC printed one."""
        pattern = re.compile(rf"^{re.escape(label)}:?\s+(\S+)")
        for line in reversed(self.log_lines):
            found = pattern.match(line.strip())
            if found:
                return found.group(1)
        return None


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


class PulpCbcBackend:
    """CBC through PuLP (``COIN_CMD``) with a hard wall-clock limit."""

    name = "pulp-cbc"
    capabilities = Capabilities(mip_start=True)

    def solve(
        self, model: ModelArrays, options: SolveOptions, start: np.ndarray | None = None
    ) -> SolverResult:
        """Solve with CBC; a MIP start is passed with ``warmStart`` (a ``-mips`` file)."""
        path = cbc_path()
        if path is None:
            raise SolverNotAvailableError(
                "solver 'pulp-cbc' needs a CBC executable: none on PATH and none bundled "
                "with PuLP; install one (e.g. `pip install pulp[cbc]`) or choose another solver."
            )
        prob, columns = to_pulp(model)
        if start is not None:
            _set_start(columns, start)
        extra = [f"randomCbcSeed {int(options.seed)}"] if options.seed else []
        if options.node_limit is not None:
            extra.append(f"maxNodes {int(options.node_limit)}")
        limit = options.time_limit
        run = _CbcRun(
            path=path,
            msg=bool(options.log),
            timeLimit=limit,
            gapRel=float(options.mip_gap),
            threads=options.threads,
            warmStart=start is not None,
            keepFiles=False,
            options=extra,
            echo=bool(options.log),
            wall_limit=None if limit is None else limit + HARD_LIMIT_GRACE_S + 0.5 * limit,
        )
        began = time.perf_counter()
        prob.solve(run)
        seconds = time.perf_counter() - began
        return self._result(model, columns, prob, run, options, seconds)

    def _result(
        self,
        model: ModelArrays,
        columns: list[pulp.LpVariable],
        prob: pulp.LpProblem,
        run: _CbcRun,
        options: SolveOptions,
        seconds: float,
    ) -> SolverResult:
        version = run.log_value("Version")
        solver = f"CBC {version or '(version unknown)'} via PuLP {pulp.__version__}"

        def no_solution(message: str) -> SolverResult:
            return SolverResult(Status.NO_SOLUTION, None, None, None, solver, seconds, message)

        if run.killed:
            return no_solution(
                f"CBC overran its {options.time_limit:g} s time limit and was killed after "
                f"{run.wall_limit:g} s (hard wall-clock limit); no solution was read back"
            )
        if run.returncode != 0:
            tail = "".join(run.log_lines[-5:]).strip()
            return no_solution(f"CBC exited with code {run.returncode}: {tail}")
        if prob.sol_status == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
            return SolverResult(
                Status.INFEASIBLE,
                None,
                None,
                None,
                solver,
                seconds,
                run.status_line or "infeasible",
            )
        if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return no_solution(
                f"CBC found no solution: {run.status_line or pulp.LpStatus[prob.status]}"
            )
        values = _solution(model, columns)
        objective = model.objective(values)
        optimal = prob.sol_status == pulp.LpSolutionOptimal
        bound = self._bound(run, model, objective, optimal, options)
        status = Status.OPTIMAL if optimal else Status.FEASIBLE
        return SolverResult(status, values, objective, bound, solver, seconds, run.status_line)

    @staticmethod
    def _bound(
        run: _CbcRun, model: ModelArrays, objective: float, optimal: bool, options: SolveOptions
    ) -> float | None:
        """CBC's best bound from its log (PuLP does not report one); None if unknown."""
        if optimal and (options.mip_gap == 0 or not model.num_integer):
            return objective
        # CBC's final report of a maximisation prints "Upper bound:" in the user's
        # sense (the objective offset is not in the LP PuLP writes).
        bound = _float(run.log_value("Upper bound"))
        if bound is None:
            return None
        bound += model.objective_offset
        # Guard against a log format change: a bound below the incumbent is no bound.
        return bound if bound >= objective - 1e-6 * max(1.0, abs(objective)) else None


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
            start=None if start is None else _named(columns, start),
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
        values = _solution(model, columns)
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
