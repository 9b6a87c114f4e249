"""Numerical hygiene of a model: how wide its coefficients range, and money rescaling.

Solvers work in double precision with absolute tolerances near ``1e-6``..``1e-9``: a
model whose coefficients span more than about nine orders of magnitude (a one-pound
running cost next to a ten-billion-pound receipt) loses the small ones in round-off.

- :func:`coefficient_report` measures the smallest and largest non-zero absolute value of
  the matrix, the objective and the finite bounds, and emits a
  :class:`~estates_opt.errors.DataWarning` when one of them spans more than
  :data:`TROUBLE_RATIO` or holds a number beyond :data:`HUGE`.
- :func:`scaled` first makes every money bound that can never bind infinite, then
  divides the objective (and its offset) and the ``cash`` and ``receipts_target`` rows
  each by a power of ten so the solver sees moderate numbers. Only rows and the objective
  are scaled, never columns, so the solution vector needs no change; multiply the
  objective and bound the solver reports by the returned factor (:func:`unscale_result`)
  to get pounds back. The rule is in ``docs/decisions.md``.

Wiring, in :mod:`estates_opt.optimize.run`::

    solver_model, money = scaled(model)
    result = unscale_result(backend.solve(solver_model, options), money)
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any, TypeVar

import numpy as np

from estates_opt.errors import InputError, Problem
from estates_opt.model.arrays import FAMILY_CODE, ROW_FAMILIES, ModelArrays
from estates_opt.validate import warn_data

log = logging.getLogger(__name__)

__all__ = [
    "HUGE",
    "MONEY_ROWS",
    "SMALLEST_MONEY",
    "TARGET_MONEY",
    "TROUBLE_RATIO",
    "activity_range",
    "check_money_range",
    "coefficient_report",
    "objective_scale",
    "row_scale",
    "scaled",
    "unbinding_money_bounds",
    "unscale_result",
    "without_unbinding_money_bounds",
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
    # a row without a finite bound constrains nothing (solvers drop it): its entries do not count
    bounded = np.flatnonzero(np.isfinite(model.row_lower) | np.isfinite(model.row_upper))
    matrix = model.matrix if len(bounded) == model.num_rows else model.matrix[bounded]
    parts = {
        "matrix": matrix.data,
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


def activity_range(model: ModelArrays, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value each row's activity can take within the column bounds."""
    sub = model.matrix[rows].tocsr()
    positive, negative = sub.maximum(0), sub.minimum(0)
    with np.errstate(invalid="ignore"):
        low = positive @ model.lower + negative @ model.upper
        high = positive @ model.upper + negative @ model.lower
    return np.nan_to_num(low, nan=-np.inf), np.nan_to_num(high, nan=np.inf)


def unbinding_money_bounds(model: ModelArrays) -> tuple[np.ndarray, np.ndarray]:
    """Masks of money rows whose finite lower / upper bound can never bind.

    A budget at least the largest spend the columns allow, or a receipts target of
    zero, holds for every value of the variables: the bound says nothing, and its
    magnitude (``1e15`` or ``9e99`` written for "no limit") must not set the money scale.
    """
    rows = np.flatnonzero(_money_rows(model))
    lower = np.zeros(model.num_rows, dtype=bool)
    upper = np.zeros(model.num_rows, dtype=bool)
    if not len(rows):
        return lower, upper
    low, high = activity_range(model, rows)
    row_lower, row_upper = model.row_lower[rows], model.row_upper[rows]
    lower[rows] = np.isfinite(row_lower) & (row_lower <= low)
    upper[rows] = np.isfinite(row_upper) & (row_upper >= high)
    return lower, upper


def without_unbinding_money_bounds(model: ModelArrays) -> ModelArrays:
    """The model with every money bound that can never bind made infinite (logged)."""
    lower, upper = unbinding_money_bounds(model)
    if not (lower.any() or upper.any()):
        return model
    families = sorted({ROW_FAMILIES[code] for code in model.row_family[lower | upper]})
    log.info(
        "%d money bounds can never bind (%s): treated as unlimited, left out of the money scale",
        int(lower.sum() + upper.sum()),
        ", ".join(families),
    )
    return dataclasses.replace(
        model,
        row_lower=np.where(lower, -np.inf, model.row_lower),
        row_upper=np.where(upper, np.inf, model.row_upper),
    )


def _live_money(model: ModelArrays) -> tuple[np.ndarray, np.ndarray]:
    """Entries and finite bounds of the money rows that still bind somewhere."""
    rows = _money_rows(model) & (np.isfinite(model.row_lower) | np.isfinite(model.row_upper))
    entries = model.matrix[np.flatnonzero(rows)].data if rows.any() else np.zeros(0)
    bounds = np.concatenate([model.row_lower[rows], model.row_upper[rows]])
    return entries, bounds[np.isfinite(bounds)]


def _power_of_ten(high: float) -> int:
    """The exponent e with ``high / 10**e`` in ``[TARGET_MONEY, 10 * TARGET_MONEY)``."""
    return math.floor(math.log10(high / TARGET_MONEY))


def objective_scale(model: ModelArrays) -> float:
    """The power of ten that brings the largest objective magnitude (coefficients and
    offset) into ``[TARGET_MONEY, 10 * TARGET_MONEY)``: small money is scaled up, so that
    an estate written in thousands of pounds keeps its objective above the solvers'
    absolute tolerances, large money down."""
    _, high = _span(np.append(model.cost, model.objective_offset))
    return 1.0 if high == 0.0 else float(10.0 ** _power_of_ten(high))


def row_scale(model: ModelArrays) -> float:
    """The power of ten that brings the largest entry or finite bound of the ``cash`` and
    ``receipts_target`` rows that can bind (see :func:`unbinding_money_bounds`; pass a
    model through :func:`without_unbinding_money_bounds` first) into
    ``[TARGET_MONEY, 10 * TARGET_MONEY)``; scaled down, it is capped so that the
    smallest non-zero entry or bound stays at or above :data:`SMALLEST_MONEY`."""
    entries, bounds = _live_money(model)
    values = np.concatenate([entries, bounds])
    low, high = _span(values)
    if high == 0.0:
        return 1.0
    exponent = _power_of_ten(high)
    if exponent > 0 and low > 0:
        exponent = max(0, min(exponent, math.floor(math.log10(low / SMALLEST_MONEY))))
    return float(10.0**exponent)


def check_money_range(model: ModelArrays) -> None:
    """Raise :class:`~estates_opt.errors.InputError` for a binding money bound beyond
    :data:`HUGE`: no money scale keeps both it and a pound of running cost visible."""
    _, bounds = _live_money(model)
    if len(bounds) and np.abs(bounds).max() > HUGE:
        raise InputError(
            Problem(
                "scenario.toml",
                f"[finance]: expected money that binds (a budget less the backlog it must "
                f"carry, a receipts target) of at most {HUGE:g} GBP, got "
                f"{np.abs(bounds).max():.3g}; write a budget the plan cannot exhaust (it is "
                "then treated as unlimited) or check the units of money.",
            )
        )


def scaled(model: ModelArrays, *, report: bool = True) -> tuple[ModelArrays, float]:
    """The solver's copy of the model in money units it can resolve, and the objective's
    factor.

    Money bounds that can never bind are made infinite first
    (:func:`without_unbinding_money_bounds`). Then the objective and its offset are
    divided by :func:`objective_scale`, and the money rows (entries and bounds) by
    :func:`row_scale`: two factors, because a positive factor on the objective never
    changes the optimal decisions and one on a row never changes which plans it allows,
    and the objective need not be money (an elastic diagnosis minimises shortfalls).
    Columns never change, so a solution vector of the scaled model is a solution of the
    original with the same decisions; its objective times the returned factor is the
    original objective. ``report`` runs :func:`coefficient_report` on the scaled model
    (what the solver sees) and warns when it is still awkward.

    Parameters
    ----------
    model
        The model arrays (not modified; a new object is returned).
    report
        Warn about the scaled coefficients.

    Returns
    -------
    (ModelArrays, float)
        The scaled model (``model`` itself when nothing changes) and the objective's factor.

    Raises
    ------
    InputError
        A money bound that binds is beyond :data:`HUGE` (:func:`check_money_range`).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from estates_opt.model.arrays import FAMILY_CODE, ModelArrays
    >>> m = ModelArrays(cost=np.array([2e6, -3e5]), lower=np.zeros(2), upper=np.ones(2),
    ...     integer=np.ones(2, dtype=bool), matrix=sp.csr_array(np.array([[-2e6, 3e5]])),
    ...     row_lower=np.array([-np.inf]), row_upper=np.array([1e5]),
    ...     row_family=np.array([FAMILY_CODE["cash"]], dtype=np.int8),
    ...     row_keys=np.full((1, 3), -1), blocks={}, arcs=None, pairs=None,
    ...     demand=np.zeros(0), periods=1, service_names=())
    >>> small, money = scaled(m)
    >>> money, small.cost.tolist(), small.row_upper.tolist()
    (100.0, [20000.0, -3000.0], [1000.0])

    A budget of ``1e15`` ("no limit") can never bind: it no longer sets any scale.

    >>> m.row_upper = np.array([1e15])
    >>> small, money = scaled(m)
    >>> money, small.row_upper.tolist()
    (100.0, [inf])
    """
    out = without_unbinding_money_bounds(model)
    check_money_range(out)
    objective, rows = objective_scale(out), row_scale(out)
    if rows != 1.0:
        row_factor = np.where(_money_rows(out), 1.0 / rows, 1.0)
        matrix = out.matrix.tocsr(copy=True)
        matrix.data = matrix.data * np.repeat(row_factor, np.diff(matrix.indptr))
        out = dataclasses.replace(
            out,
            matrix=matrix,
            row_lower=out.row_lower * row_factor,
            row_upper=out.row_upper * row_factor,
        )
    if objective != 1.0:
        out = dataclasses.replace(
            out, cost=out.cost / objective, objective_offset=out.objective_offset / objective
        )
    if report:
        coefficient_report(out)
    return out, objective


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
