"""Running a backend: the only caller of ``Backend.solve``.

:func:`run_backend` scales money (:mod:`estates_opt.optimize.scaling`), hands the
model to the backend, converts objective and bound back to pounds and re-checks the
solution against the unscaled rows (:mod:`estates_opt.optimize.verify`). Every step
of the solve stage that needs a solver (the main solve, the Lagrangian phase, warm
starts, neighbourhood steps, diagnosis, alternatives) comes through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from estates_opt.backends.base import Backend, ProgressCallback, SolveOptions, SolverResult
from estates_opt.errors import EstatesOptError, SolverError
from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.scaling import scaled, unscale_result
from estates_opt.optimize.verify import verified
from estates_opt.status import Status

__all__ = ["polisher", "run_backend"]


def run_backend(
    backend: Backend, model: ModelArrays, options: SolveOptions, start: np.ndarray | None
) -> SolverResult:
    """Solve with money rescaled, then check the solution against the unscaled rows.

    A solution that breaks a row is polished: its binaries fixed, the rest re-solved
    (:func:`~estates_opt.optimize.verify.verified`), through this same path.
    """
    return verified(
        _solve_scaled(backend, model, options, start), model, polisher(backend, options)
    )


def polisher(backend: Backend, options: SolveOptions) -> Callable[[ModelArrays], SolverResult]:
    """What :func:`~estates_opt.optimize.verify.verified` polishes a broken plan with."""
    quiet = dataclasses.replace(options, progress=None)
    return lambda fixed: _solve_scaled(backend, fixed, quiet, None)


def _solve_scaled(
    backend: Backend, model: ModelArrays, options: SolveOptions, start: np.ndarray | None
) -> SolverResult:
    """The backend's result on the money-scaled model, objective and bound in pounds."""
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
    return unscale_result(result, money)


def _in_pounds(report: ProgressCallback, money: float) -> ProgressCallback:
    """The progress callback, fed the solver's money-scaled incumbent and bound in GBP."""

    def in_pounds(best: float | None, bound: float | None, gap: float | None) -> None:
        scale = [None if value is None else value * money for value in (best, bound)]
        report(scale[0], scale[1], gap)

    return in_pounds
