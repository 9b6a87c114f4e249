"""Solve with a Lagrangian phase first: bound, plan and fixings, then the MIP.

1. :func:`~estates_opt.lagrangian.lagrangian_bound` runs on the money-scaled model. If
   its plan is already proved within the gap, that plan is the answer.
2. Otherwise the binaries it fixed are fixed in a copy of the model, which also gets
   the cover rows and, where the free arcs are few, the strong arc links of
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

from estates_opt.backends.base import Backend, SolveOptions, SolverResult
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
    lag_bound = lag.bound * money
    spent = time.perf_counter() - began
    label = "Lagrangian relaxation"
    if lag.solution is not None and lag.gap() <= half_gap:
        plan = np.asarray(lag.solution, dtype=float)
        result = SolverResult(
            Status.OPTIMAL, plan, model.objective(plan), lag_bound, label, spent,
            f"proved by the Lagrangian bound after {lag.iterations} steps",
        )  # fmt: skip
        return verified(result, model, backend, options)
    remaining = None
    if options.time_limit is not None:
        remaining = max(1.0, options.time_limit - spent)
    inner = dataclasses.replace(options, mip_gap=half_gap, time_limit=remaining)
    restricted = restricted_model(model, lag.lower, lag.upper)
    result = run_backend(backend, restricted, inner, lag.solution)
    if result.solution is None and result.status is Status.INFEASIBLE and lag.fixed:
        return None  # fixings rest on the plan: never report infeasible because of them
    bound = lag_bound
    if result.bound is not None:
        bound = min(lag_bound, max(result.bound, lag.fixed_bound * money))
    status = result.status
    if result.objective is not None:
        gap = (bound - result.objective) / max(1.0, abs(bound))
        status = Status.OPTIMAL if gap <= options.mip_gap else Status.FEASIBLE
    message = f"{result.message}; {label}: {lag.fixed} binaries fixed, bound {lag_bound:.6g}"
    return dataclasses.replace(
        result, status=status, bound=bound, solve_seconds=time.perf_counter() - began,
        solver=f"{result.solver} + {label.lower()}", message=message,
    )  # fmt: skip


def run_backend(
    backend: Backend, model: ModelArrays, options: SolveOptions, start: np.ndarray | None
) -> SolverResult:
    """Solve with money rescaled, then check the solution against the unscaled rows."""
    solver_model, money = scaled(model)
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
