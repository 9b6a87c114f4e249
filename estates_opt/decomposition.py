"""Running a backend: plainly (:func:`run_backend`) or after a Lagrangian phase.

:func:`solve_decomposed`:

1. :func:`~estates_opt.lagrangian.lagrangian_bound` runs on the money-scaled model. If
   its plan is proved within the gap (by the bound alone or by its branch and bound),
   that plan is the answer.
2. Otherwise a *core* heuristic solves the model with every binary that stayed steady
   in the last steps fixed (a short MIP, for a better plan), the probes fix what cannot
   beat that plan, and the binaries so fixed are fixed in a copy of the model, which
   also gets the cover rows and, where the free arcs are few, the strong arc links of
   :mod:`estates_opt.model.strengthen`; the backend solves that copy from the plan.
3. The bound reported is ``min(L, max(B, F))``: ``L`` the Lagrangian bound, ``B`` the
   backend's bound on the restricted model and ``F`` the best bound any fixing gave up
   (every plan the fixings cut off is worth at most ``F``). The fixings and the
   backend each use half of the requested gap, so ``optimal`` keeps its meaning.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from estates_opt.backends.base import Backend, ProgressCallback, SolveOptions, SolverResult
from estates_opt.errors import EstatesOptError, SolverError
from estates_opt.lagrangian import lagrangian_bound
from estates_opt.model.arrays import ModelArrays
from estates_opt.model.scaling import scaled, unscale_result
from estates_opt.model.strengthen import arc_links, cover_rows, with_rows
from estates_opt.status import Status
from estates_opt.verify import verified

__all__ = ["MAX_LINKS", "restricted_model", "run_backend", "solve_decomposed"]

MAX_LINKS = 60_000
"""Strong arc links are added to the restricted model only up to this many rows."""

CORE_SECONDS = 20.0
"""Most time spent on the core heuristic (the steady binaries fixed) before the MIP."""


def _free_x_columns(model: ModelArrays) -> np.ndarray:
    """x columns whose availability row still holds a binary that is not fixed."""
    rows = model.rows_of("availability")
    sub = model.matrix[rows].tocsr()
    free = model.integer & (model.lower < model.upper)
    has_free = (abs(sub) @ free.astype(float)) > 0
    x_cols = model.blocks["x"].columns
    hit = sub[:, x_cols].tocoo()
    keep = np.zeros(len(x_cols), dtype=bool)
    keep[hit.col[has_free[hit.row]]] = True
    return x_cols[keep]


def restricted_model(model: ModelArrays, lower: np.ndarray, upper: np.ndarray) -> ModelArrays:
    """The model with fixed binaries, cover rows and (if few) strong arc links."""
    fixed = dataclasses.replace(model, lower=lower, upper=upper)
    parts = [cover_rows(fixed)]
    free = _free_x_columns(fixed)
    if 0 < len(free) <= MAX_LINKS:
        parts.append(arc_links(fixed, free))
    return with_rows(fixed, *parts)


def solve_decomposed(
    backend: Backend,
    model: ModelArrays,
    options: SolveOptions,
    start: np.ndarray | None,
    *,
    seconds: float,
) -> SolverResult | None:
    """Lagrangian phase then the restricted MIP; None when the relaxation does not apply."""
    began = time.perf_counter()
    solver_model, money = scaled(model)
    half_gap = options.mip_gap / 2
    lag = lagrangian_bound(solver_model, seconds=seconds, mip_gap=half_gap, start=start)
    if lag is None:
        return None
    label = "Lagrangian relaxation"
    if lag.solution is not None and (lag.proved or lag.gap() <= half_gap):
        plan = np.asarray(lag.solution, dtype=float)
        bound = max(lag.bound * money, model.objective(plan))
        result = SolverResult(
            Status.OPTIMAL, plan, model.objective(plan), bound, label,
            time.perf_counter() - began,
            f"proved by the Lagrangian bound ({lag.iterations} steps, {lag.nodes} nodes)",
        )  # fmt: skip
        return verified(result, model, backend, options)

    def left() -> float | None:
        if options.time_limit is None:
            return None
        return max(1.0, options.time_limit - (time.perf_counter() - began))

    quiet = dataclasses.replace(options, mip_gap=half_gap, progress=None)
    best = None if lag.solution is None else (lag.objective, lag.solution)
    if best is not None and lag.steady.any():
        limit = CORE_SECONDS if left() is None else min(CORE_SECONDS, left() / 3)
        core = restricted_model(model, *lag.core())
        found = run_backend(backend, core, dataclasses.replace(quiet, time_limit=limit), best[1])
        if found.objective is not None and found.objective / money > best[0]:
            best = (found.objective / money, found.solution)
    lower, upper, fixed, given_up = model.lower, model.upper, 0, -np.inf
    if best is not None:
        lower, upper, fixed, given_up = lag.fixings(best[0], half_gap)
    restricted = restricted_model(model, lower, upper)
    inner = dataclasses.replace(options, mip_gap=half_gap, time_limit=left())
    result = run_backend(backend, restricted, inner, None if best is None else best[1])
    if result.solution is None and fixed:
        return None  # the fixings rest on the plan: never report a failure because of them
    lag_bound = lag.bound * money
    bound = lag_bound
    if result.bound is not None:
        bound = min(lag_bound, max(result.bound, given_up * money))
    status = result.status
    if result.objective is not None:
        bound = max(bound, result.objective)  # round-off: no bound lies below a plan
        gap = (bound - result.objective) / max(1.0, abs(bound))
        status = Status.OPTIMAL if gap <= options.mip_gap + 1e-12 else Status.FEASIBLE
    message = f"{result.message}; {label}: {fixed} binaries fixed, bound {lag_bound:.6g}"
    return dataclasses.replace(
        result, status=status, bound=bound, solve_seconds=time.perf_counter() - began,
        solver=f"{result.solver} + {label.lower()}", message=message,
    )  # fmt: skip


def run_backend(
    backend: Backend, model: ModelArrays, options: SolveOptions, start: np.ndarray | None
) -> SolverResult:
    """Solve with money rescaled, then check the solution against the unscaled rows."""
    solver_model, money = scaled(model)
    if options.progress is not None and money != 1.0:
        options = dataclasses.replace(options, progress=_in_pounds(options.progress, money))
    try:
        result = backend.solve(solver_model, options, start)
    except (KeyboardInterrupt, EstatesOptError):
        raise
    except Exception as err:
        raise SolverError(f"solver {backend.name!r} failed: {err}") from err
    if not isinstance(result.status, Status):
        return SolverResult(
            Status.NO_SOLUTION, None, None, None, result.solver, result.solve_seconds,
            f"solver {backend.name!r} returned an unknown status {result.status!r}",
        )  # fmt: skip
    return verified(unscale_result(result, money), model, backend, options)


def _in_pounds(report: ProgressCallback, money: float) -> ProgressCallback:
    """The progress callback, fed the solver's money-scaled incumbent and bound in GBP."""

    def in_pounds(best: float | None, bound: float | None, gap: float | None) -> None:
        scale = [None if value is None else value * money for value in (best, bound)]
        report(scale[0], scale[1], gap)

    return in_pounds
