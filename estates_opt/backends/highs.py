"""HiGHS through highspy, fed straight from the model arrays (``passModel``)."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any

import highspy
import numpy as np
from highspy._core import _Highs

from estates_opt.backends.base import Capabilities, SolveOptions, SolverResult
from estates_opt.model.arrays import ModelArrays
from estates_opt.status import Status

__all__ = ["HighsBackend", "silent_highs", "to_highs_lp"]

_MS = highspy.HighsModelStatus
_LIMITS = {
    _MS.kTimeLimit,
    _MS.kIterationLimit,
    _MS.kSolutionLimit,
    _MS.kInterrupt,
    _MS.kMemoryLimit,
    _MS.kObjectiveBound,
    _MS.kObjectiveTarget,
    _MS.kHighsInterrupt,  # type: ignore[attr-defined]  # missing from highspy's stubs
}


def to_highs_lp(model: ModelArrays) -> highspy.HighsLp:
    """The model as a column-wise ``HighsLp`` (maximisation)."""
    csc = model.matrix.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = model.num_cols
    lp.num_row_ = model.num_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = model.objective_offset
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.lower
    lp.col_upper_ = model.upper
    lp.row_lower_ = model.row_lower
    lp.row_upper_ = model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = model.num_cols
    lp.a_matrix_.num_row_ = model.num_rows
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    lp.integrality_ = np.where(  # type: ignore[call-overload]  # enum values, not numbers
        model.integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    ).tolist()
    return lp


_CB = highspy.cb.HighsCallbackType


def silent_highs(lp: highspy.HighsLp) -> _Highs:
    """A HiGHS object holding ``lp`` that prints nothing (for loops that re-solve it).

    The core object: ``highspy.Highs()`` prints its banner on creation, before
    ``output_flag`` could be switched off.
    """
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    return highs


class _Watcher:
    """HiGHS callback: reports progress, trades plans with a search beside the solve
    (:class:`SolveOptions` ``found``/``incoming``/``stop``) and stops on Ctrl-C.

    HiGHS runs in C++ and would not see Python's SIGINT until it finished; the handler
    only raises a flag that the interrupt callbacks turn into ``user_interrupt``.
    """

    def __init__(self, options: SolveOptions) -> None:
        self.progress = options.progress
        self.found = options.found
        self.incoming = options.incoming
        self.stop = options.stop
        self.interrupted = False
        self._last = 0.0

    def __call__(self, kind: Any, message: str, out: Any, data_in: Any, user: Any) -> None:
        stopped = self.stop is not None and self.stop.is_set()
        if (self.interrupted or stopped) and data_in is not None:
            data_in.user_interrupt = True
        improving = kind == _CB.kCallbackMipImprovingSolution
        if improving and self.found is not None:
            self.found(np.array(out.mip_solution))
        if kind == _CB.kCallbackMipUserSolution and self.incoming is not None:
            plan = self.incoming()
            if plan is not None:
                data_in.setSolution(plan)
        if self.progress is None:
            return
        now = time.perf_counter()
        if improving or now - self._last > 0.5:
            self._last = now
            primal, dual = out.mip_primal_bound, out.mip_dual_bound
            finite = [abs(v) < 1e30 for v in (primal, dual)]
            self.progress(
                primal if finite[0] else None,
                dual if finite[1] else None,
                out.mip_gap if all(finite) else None,
            )

    def catching_sigint(self) -> Any:
        watcher = self

        class _Handler:
            def __enter__(self) -> None:
                self.previous = None
                if threading.current_thread() is threading.main_thread():
                    self.previous = signal.signal(signal.SIGINT, self.handle)

            def handle(self, signum: int, frame: FrameType | None) -> None:
                watcher.interrupted = True

            def __exit__(self, *exc: object) -> None:
                if self.previous is not None:
                    signal.signal(signal.SIGINT, self.previous)

        return _Handler()


class HighsBackend:
    """HiGHS MIP solver (the default)."""

    name = "highs"
    capabilities = Capabilities(mip_start=True, progress=True, trades_plans=True)

    def solve(
        self, model: ModelArrays, options: SolveOptions, start: np.ndarray | None = None
    ) -> SolverResult:
        """Solve with HiGHS; a MIP start is passed with ``setSolution``."""
        # The plain core object: highspy.Highs() enables callbacks in its constructor,
        # which prints the licence banner before output_flag can be switched off.
        h = _Highs()
        h.setOptionValue("output_flag", bool(options.log))
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
        h.setOptionValue("random_seed", int(options.seed))
        if options.time_limit is not None:
            h.setOptionValue("time_limit", float(options.time_limit))
        if options.node_limit is not None:
            h.setOptionValue("mip_max_nodes", int(options.node_limit))
        if options.threads is not None:
            # HiGHS fixes its thread pool at the first run in a process; reset it first.
            highspy.Highs.resetGlobalScheduler(True)
            h.setOptionValue("threads", int(options.threads))
        h.passModel(to_highs_lp(model))
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = np.asarray(start, dtype=float).tolist()
            solution.value_valid = True
            h.setSolution(solution)
        watcher = _Watcher(options)
        h.setCallback(watcher, None)
        h.startCallback(_CB.kCallbackMipImprovingSolution)
        h.startCallback(_CB.kCallbackMipInterrupt)
        h.startCallback(_CB.kCallbackSimplexInterrupt)
        if options.incoming is not None:
            h.startCallback(_CB.kCallbackMipUserSolution)
        began = time.perf_counter()
        with watcher.catching_sigint():
            h.run()
        seconds = time.perf_counter() - began
        if watcher.interrupted:
            raise KeyboardInterrupt("solve interrupted by the user")
        return self._result(h, model, seconds)

    def _result(self, h: _Highs, model: ModelArrays, seconds: float) -> SolverResult:
        model_status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        solver = f"HiGHS {h.version()} (highspy)"
        values = np.asarray(h.getSolution().col_value) if has_solution else None
        objective = float(info.objective_function_value) if has_solution else None
        bound = float(info.mip_dual_bound) if model.num_integer else objective
        if bound is not None and not np.isfinite(bound):
            bound = None
        text = h.modelStatusToString(model_status)
        if model_status == _MS.kOptimal:
            status = Status.OPTIMAL
        elif model_status in (_MS.kInfeasible, _MS.kUnboundedOrInfeasible):
            status, values, objective, bound = Status.INFEASIBLE, None, None, None
        elif model_status in _LIMITS:
            status = Status.FEASIBLE if has_solution else Status.NO_SOLUTION
        else:
            status, values, objective = Status.NO_SOLUTION, None, None
            text = f"HiGHS stopped with model status '{text}'"
        if model.num_cols == 0 and model_status == _MS.kModelEmpty:
            status, values, objective, bound = Status.OPTIMAL, np.zeros(0), 0.0, 0.0
        return SolverResult(status, values, objective, bound, solver, seconds, text)
