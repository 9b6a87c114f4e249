"""CBC through PuLP (``COIN_CMD``), fed from the model arrays by :func:`.pulp.to_pulp`.

Three PuLP 3.3 traps are handled here:

* PuLP reports ``"Optimal"`` for a CBC run stopped by its time limit with an
  incumbent; the status is read from ``prob.sol_status`` instead, so such a run is
  ``feasible``, never ``optimal``.
* CBC can overrun ``timeLimit`` by minutes, so it runs under a hard wall-clock
  watchdog (:data:`HARD_LIMIT_GRACE_S`) that kills the process; CBC's log is kept to
  read its version and its bound, which PuLP does not pass on.
* ``PULP_CBC_CMD`` is deprecated (gone in PuLP 4): CBC runs through ``COIN_CMD`` with
  a ``cbc`` found on ``PATH`` or, failing that, the binary bundled with PuLP 3.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from estates_opt.backends.base import Capabilities, SolveOptions, SolverResult
from estates_opt.backends.pulp import column_values, set_start, to_pulp
from estates_opt.errors import SolverNotAvailableError
from estates_opt.model.arrays import ModelArrays
from estates_opt.status import Status

if TYPE_CHECKING:
    import pulp
    from pulp.apis import coin_api
else:
    from pulp.apis import coin_api

    from estates_opt.backends.pulp import pulp

__all__ = ["HARD_LIMIT_GRACE_S", "PulpCbcBackend", "cbc_path"]

#: Seconds CBC may run past ``time_limit`` (plus half the limit) before it is killed.
HARD_LIMIT_GRACE_S = 10.0


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
            set_start(columns, start)
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
        infeasible = prob.sol_status == pulp.LpSolutionInfeasible
        infeasible = infeasible or prob.status == pulp.LpStatusInfeasible
        if infeasible and options.time_limit is not None and seconds >= options.time_limit:
            # CBC stopped by its time limit during preprocessing reports "Integer
            # infeasible": that proves nothing (seen with a 0.01 s limit on p01)
            return no_solution(
                f"CBC stopped at its {options.time_limit:g} s time limit without a plan "
                f"(its status line: {run.status_line or 'none'})"
            )
        if infeasible:
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
        values = column_values(model, columns)
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
