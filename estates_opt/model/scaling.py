"""Numerical hygiene of a model: how wide its coefficients range, and money rescaling.

Solvers work in double precision with absolute tolerances near ``1e-6``..``1e-9``: a
model whose coefficients span more than about nine orders of magnitude (a one-pound
running cost next to a ten-billion-pound receipt) loses the small ones in round-off.

- :func:`coefficient_report` measures the smallest and largest non-zero absolute value of
  the matrix, the objective and the finite bounds, and emits a
  :class:`~estates_opt.errors.DataWarning` when one of them spans more than
  :data:`TROUBLE_RATIO` or holds a number beyond :data:`HUGE`.
- :func:`scaled` divides money (the objective, its offset and the ``cash`` and
  ``receipts_target`` rows) by a power of ten so the solver sees moderate numbers
  (thousands or millions of pounds rather than pounds). Only rows and the objective are
  scaled, never columns, so the solution vector needs no change; multiply the objective
  and bound the solver reports by the returned factor (:func:`unscale_result`) to get
  pounds back.

Wiring, in :func:`estates_opt.solve.solve`::

    solver_model, money = scaled(model)
    result = unscale_result(backend.solve(solver_model, options), money)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, TypeVar

import numpy as np

from estates_opt.model.arrays import FAMILY_CODE, ModelArrays
from estates_opt.validate import warn_data

__all__ = [
    "HUGE",
    "MONEY_ROWS",
    "SMALLEST_MONEY",
    "TARGET_MONEY",
    "TROUBLE_RATIO",
    "coefficient_report",
    "money_scale",
    "scaled",
    "unscale_result",
]

TROUBLE_RATIO = 1e9
"""Largest / smallest non-zero magnitude beyond which double precision loses the small."""

HUGE = 1e15
"""A single coefficient beyond this is treated as infinite or garbage by some solvers."""

MONEY_ROWS = ("cash", "receipts_target")
"""Row families measured in GBP (MODEL.md constraints 9 and 10)."""

TARGET_MONEY = 1e4
"""After scaling, the largest money magnitude lies in ``[TARGET_MONEY, 10 * TARGET_MONEY)``."""

SMALLEST_MONEY = 1e-2
"""Scaling never brings a money row's smallest entry or bound below this.

Dividing a one-pound capex by a million leaves ``1e-6`` next to the solver's integrality
and feasibility tolerances: on the issue 8 test instance (money from 1 to 1e10) HiGHS then
returns a plan that breaks the cash row by that pound. Small money must stay well above
the tolerances, so the factor is capped by the smallest money in the rows."""

_R = TypeVar("_R")


def _span(values: np.ndarray) -> tuple[float, float]:
    """(min, max) of the finite non-zero absolute values; (0, 0) when there are none."""
    values = np.abs(np.asarray(values, dtype=float))
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return 0.0, 0.0
    return float(values.min()), float(values.max())


def coefficient_report(model: ModelArrays, *, warn: bool = True) -> dict[str, float]:
    """Smallest and largest non-zero absolute coefficient of matrix, objective and bounds.

    Parameters
    ----------
    model
        The model arrays (not modified).
    warn
        Emit a :class:`~estates_opt.errors.DataWarning` naming every part whose
        magnitudes span more than :data:`TROUBLE_RATIO` or exceed :data:`HUGE`.

    Returns
    -------
    dict
        ``matrix_min``, ``matrix_max``, ``cost_min``, ``cost_max``, ``bounds_min``,
        ``bounds_max`` (finite row and column bounds together), and the ratios
        ``matrix_ratio``, ``cost_ratio``, ``bounds_ratio`` (max / min, 1 when empty).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from estates_opt.model.arrays import ModelArrays
    >>> m = ModelArrays(cost=np.array([1.0, 1e10]), lower=np.zeros(2), upper=np.ones(2),
    ...     integer=np.zeros(2, dtype=bool), matrix=sp.csr_array(np.array([[1.0, 2.0]])),
    ...     row_lower=np.array([-np.inf]), row_upper=np.array([1.0]),
    ...     row_family=np.zeros(1, dtype=np.int8), row_keys=np.full((1, 3), -1),
    ...     blocks={}, arcs=None, pairs=None, demand=np.zeros(0), periods=1,
    ...     service_names=())
    >>> report = coefficient_report(m, warn=False)
    >>> report["cost_ratio"], report["matrix_ratio"]
    (10000000000.0, 2.0)
    """
    parts = {
        "matrix": model.matrix.data,
        "cost": np.append(model.cost, model.objective_offset),
        "bounds": np.concatenate([model.row_lower, model.row_upper, model.lower, model.upper]),
    }
    report: dict[str, float] = {}
    trouble = []
    for name, values in parts.items():
        low, high = _span(values)
        ratio = high / low if low > 0 else 1.0
        report |= {f"{name}_min": low, f"{name}_max": high, f"{name}_ratio": ratio}
        if ratio > TROUBLE_RATIO or high > HUGE:
            trouble.append(f"{name} from {low:.3g} to {high:.3g}")
    if warn and trouble:
        warn_data(
            "coefficients span a range known to cause numerical trouble in solvers ("
            + "; ".join(trouble)
            + f"; ratios above {TROUBLE_RATIO:.0e} or values above {HUGE:.0e}): check the "
            "units of money, areas and populations, and check the plan with estates_opt.check."
        )
    return report


def _money_rows(model: ModelArrays) -> np.ndarray:
    return np.isin(model.row_family, [FAMILY_CODE[f] for f in MONEY_ROWS])


def money_scale(model: ModelArrays) -> float:
    """The power of ten (>= 1) that brings the largest money magnitude below 10 * TARGET_MONEY.

    Money is every objective coefficient and the entries and finite bounds of the
    ``cash`` and ``receipts_target`` rows. The factor is capped so that the smallest
    non-zero entry or bound of those rows stays at or above :data:`SMALLEST_MONEY`.
    """
    rows = _money_rows(model)
    money_matrix = model.matrix[np.flatnonzero(rows)].data if rows.any() else np.zeros(0)
    values = np.concatenate(
        [
            model.cost,
            [model.objective_offset],
            money_matrix,
            model.row_lower[rows],
            model.row_upper[rows],
        ]
    )
    _, high = _span(values)
    if high < 10 * TARGET_MONEY:
        return 1.0
    exponent = math.floor(math.log10(high / TARGET_MONEY))
    low, _ = _span(np.concatenate([money_matrix, model.row_lower[rows], model.row_upper[rows]]))
    if low > 0:
        exponent = min(exponent, math.floor(math.log10(low / SMALLEST_MONEY)))
    return float(10 ** max(exponent, 0))


def scaled(model: ModelArrays, *, report: bool = True) -> tuple[ModelArrays, float]:
    """The model with money divided by :func:`money_scale`, and that factor.

    The objective, its offset and the money rows (entries and bounds) are divided by the
    factor; nothing else changes, so a solution vector of the scaled model is a solution
    of the original with the same decisions, and its objective times the factor is the
    original objective in pounds. ``report`` runs :func:`coefficient_report` on the
    scaled model (what the solver sees) and warns when it is still awkward.

    Parameters
    ----------
    model
        The model arrays (not modified; a new object is returned).
    report
        Warn about the scaled coefficients.

    Returns
    -------
    (ModelArrays, float)
        The scaled model (``model`` itself when the factor is 1) and the factor.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from estates_opt.model.arrays import FAMILY_CODE, ModelArrays
    >>> m = ModelArrays(cost=np.array([2e6, -3e5]), lower=np.zeros(2), upper=np.ones(2),
    ...     integer=np.ones(2, dtype=bool), matrix=sp.csr_array(np.array([[-2e6, 3e5]])),
    ...     row_lower=np.array([-np.inf]), row_upper=np.array([5e6]),
    ...     row_family=np.array([FAMILY_CODE["cash"]], dtype=np.int8),
    ...     row_keys=np.full((1, 3), -1), blocks={}, arcs=None, pairs=None,
    ...     demand=np.zeros(0), periods=1, service_names=())
    >>> small, money = scaled(m)
    >>> money, small.cost.tolist(), small.row_upper.tolist()
    (100.0, [20000.0, -3000.0], [50000.0])
    """
    factor = money_scale(model)
    if factor == 1.0:
        if report:
            coefficient_report(model)
        return model, 1.0
    rows = _money_rows(model)
    row_factor = np.where(rows, 1.0 / factor, 1.0)
    matrix = model.matrix.tocsr(copy=True)
    matrix.data = matrix.data * np.repeat(row_factor, np.diff(matrix.indptr))
    out = dataclasses.replace(
        model,
        cost=model.cost / factor,
        objective_offset=model.objective_offset / factor,
        matrix=matrix,
        row_lower=model.row_lower * row_factor,
        row_upper=model.row_upper * row_factor,
    )
    if report:
        coefficient_report(out)
    return out, factor


def unscale_result(result: _R, factor: float) -> _R:
    """A solver result (any dataclass with ``objective`` and ``bound``) back in pounds."""
    if factor == 1.0:
        return result

    def back(value: Any) -> Any:
        return None if value is None else float(value) * factor

    return dataclasses.replace(  # type: ignore[type-var]
        result,
        objective=back(getattr(result, "objective")),  # noqa: B009
        bound=back(getattr(result, "bound")),  # noqa: B009
    )
