"""The Lagrangian phase before the backend (:func:`solve_decomposed`):

1. :func:`~estates_opt.optimize.lagrangian.lagrangian_bound` runs on the money-scaled model. If
   its plan is proved within the gap (by the bound alone or by its branch and bound),
   that plan is the answer.
2. Otherwise a *core* heuristic solves the model with every binary that stayed steady
   in the last steps fixed (a short MIP, for a better plan), the probes fix what cannot
   beat that plan, and the binaries so fixed are fixed in a copy of the model, which
   also gets the cover rows and, where the free arcs are few, the strong arc links of
   :mod:`estates_opt.optimize.strengthen`; the backend solves that copy from the plan.
3. The bound reported is ``min(L, max(B, F))``: ``L`` the Lagrangian bound, ``B`` the
   backend's bound on the restricted model and ``F`` the best bound any fixing gave up
   (every plan the fixings cut off is worth at most ``F``). The fixings and the
   backend each use half of the requested gap, so ``optimal`` keeps its meaning.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from estates_opt.backends.base import Backend, SolveOptions, SolverResult
from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.lagrangian import lagrangian_bound
from estates_opt.optimize.options import with_gap
from estates_opt.optimize.run import polisher, run_backend
from estates_opt.optimize.scaling import scaled
from estates_opt.optimize.strengthen import arc_links, cover_rows, with_rows
from estates_opt.optimize.verify import verified
from estates_opt.status import Status

__all__ = ["MAX_LINKS", "restricted_model", "solve_decomposed"]

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
    half = with_gap(options, half=True)  # the fixings and the restricted MIP share the gap
    half_gap = half.mip_gap
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
        return verified(result, model, polisher(backend, options))

    def left() -> float | None:
        if options.time_limit is None:
            return None
        return max(1.0, options.time_limit - (time.perf_counter() - began))

    quiet = dataclasses.replace(half, progress=None)
    best = None
    if lag.solution is not None and lag.objective is not None:
        best = (lag.objective, np.asarray(lag.solution, dtype=float))
    if best is not None and lag.steady.any():
        remaining = left()
        limit = CORE_SECONDS if remaining is None else min(CORE_SECONDS, remaining / 3)
        core = restricted_model(model, *lag.core())
        found = run_backend(backend, core, dataclasses.replace(quiet, time_limit=limit), best[1])
        better = found.objective is not None and found.objective / money > best[0]
        if better and found.solution is not None and found.objective is not None:
            best = (found.objective / money, found.solution)
    lower, upper, fixed, given_up = model.lower, model.upper, 0, -np.inf
    if best is not None:
        lower, upper, fixed, given_up = lag.fixings(best[0], half_gap)
    restricted = restricted_model(model, lower, upper)
    inner = dataclasses.replace(half, time_limit=left())
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
