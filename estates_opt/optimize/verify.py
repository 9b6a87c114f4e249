"""Never trust a solver blindly: re-check its solution against the model's rows.

A solver reports feasibility on its own scaled, presolved model with its own
tolerances; after rounding the binaries, a plan may break a row by more than it should
(seen here: a disposal at 1e-10 counted as 0 while still paying GBP 1 of receipts). A
solution that breaks a row is polished (binaries fixed, the continuous part re-solved)
or, if that fails, dropped: never reported as optimal.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np

from estates_opt.backends.base import SolverResult
from estates_opt.model.arrays import ROW_FAMILIES, ModelArrays
from estates_opt.status import Status

__all__ = ["verified"]

log = logging.getLogger(__name__)

TOLERANCE = 1e-6


def worst_violation(model: ModelArrays, solution: np.ndarray) -> tuple[float, int]:
    """(relative violation, row) of the worst row, bounds and integrality included."""
    activity = model.matrix @ solution
    size = abs(model.matrix) @ np.abs(solution)
    scale = 1.0 + size + np.nan_to_num(np.maximum(abs(model.row_lower), abs(model.row_upper)),
                                       posinf=0.0)  # fmt: skip
    over = np.maximum(model.row_lower - activity, activity - model.row_upper) / scale
    over = np.nan_to_num(over, nan=np.inf)
    row = int(np.argmax(over)) if len(over) else -1
    worst = float(over[row]) if len(over) else 0.0
    worst = max(worst, float(np.max(model.lower - solution, initial=0.0)))
    worst = max(worst, float(np.max(solution - model.upper, initial=0.0)))
    return worst, row


def verified(
    result: SolverResult, model: ModelArrays, polish: Callable[[ModelArrays], SolverResult]
) -> SolverResult:
    """The result with its solution rounded and checked; polished or dropped if broken.

    ``polish`` solves a model (the LP with the plan's binaries fixed) and is given by
    :func:`~estates_opt.optimize.run.run_backend`, the one caller of a backend.
    """
    if result.solution is None:
        return result
    solution = np.asarray(result.solution, dtype=float).copy()
    if len(solution) != model.num_cols or not np.all(np.isfinite(solution)):
        return dataclasses.replace(
            result, status=Status.NO_SOLUTION, solution=None, objective=None,
            message=f"{result.solver} returned a malformed solution vector",
        )  # fmt: skip
    solution[model.integer] = np.round(solution[model.integer])
    worst, row = worst_violation(model, solution)
    if worst <= TOLERANCE:
        return dataclasses.replace(result, solution=solution)
    family = ROW_FAMILIES[model.row_family[row]] if row >= 0 else "bounds"
    log.warning("%s's plan breaks a %s row by %.2g (relative); polishing it",
                result.solver, family, worst)  # fmt: skip
    fixed = model.relaxation(
        lower=np.where(model.integer, solution, model.lower),
        upper=np.where(model.integer, solution, model.upper),
    )
    polished = polish(fixed)
    if polished.solution is not None:
        repaired = np.asarray(polished.solution, dtype=float)
        repaired[model.integer] = solution[model.integer]
        if worst_violation(model, repaired)[0] <= TOLERANCE:
            status = Status.FEASIBLE if result.status is Status.OPTIMAL else result.status
            return dataclasses.replace(
                result, status=status, solution=repaired, objective=model.objective(repaired),
                message=f"{result.message}; plan polished after the solver broke a {family} row",
            )  # fmt: skip
    return dataclasses.replace(
        result, status=Status.NO_SOLUTION, solution=None, objective=None,
        message=(f"{result.solver} returned a plan that breaks a {family} row by {worst:.2g} "
                 "(relative) and could not be repaired"),
    )  # fmt: skip
