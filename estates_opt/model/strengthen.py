"""Valid inequalities that tighten the LP relaxation without changing the optimum.

Both families are implied by the canonical rows at every integer point, so a solver
model may carry them while the plan, its checks and its diagnosis use the rows of
MODEL.md alone. They are appended as the ``implied`` family.

- **Cover rows** (:func:`cover_rows`): adding the capacity rows of period t and using
  coverage (every zone's demand is served in full) gives
  ``sum_s U_max cap[s, t] >= total demand in t``: the estate kept must be big enough.
  The same sum over the availability rows of service k gives one row per (k, t). In
  the LP relaxation they are implied; written out, they let the solver derive knapsack
  cover cuts (a whole number of sites must stay).
- **Arc links** (:func:`arc_links`): ``x[z, s, k, t] <= avail[s, k, t]``, one row per
  arc, where ``avail`` is the availability row's binary part divided by its big-M.
  This is the classic disaggregated (strong) facility-location link; it costs one row
  per arc, so it is added only where the arcs are few.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from estates_opt.model.arrays import ModelArrays

__all__ = ["arc_links", "cover_rows", "row_of_columns", "with_rows"]


def row_of_columns(model: ModelArrays, family: str, columns: np.ndarray) -> np.ndarray:
    """For each column, the position (within ``model.rows_of(family)``) of its row there.

    Every x column sits in exactly one coverage, one capacity and one availability row.
    """
    rows = model.rows_of(family)
    sub = model.matrix[rows][:, columns].tocoo()
    where = np.full(len(columns), -1, dtype=np.int64)
    where[sub.col] = sub.row
    return where


def _binary_part(model: ModelArrays, rows: np.ndarray) -> sp.csr_array:
    """The rows restricted to the non-x columns."""
    x = model.blocks["x"]
    keep = np.ones(model.num_cols, dtype=bool)
    keep[x.start : x.start + x.size] = False
    return sp.csr_array(model.matrix[rows] @ sp.diags(keep.astype(float)))


def cover_rows(model: ModelArrays) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Rows ``(matrix, lower, upper)``: kept capacity covers demand, per t and per (k, t)."""
    x = model.blocks["x"]
    x_cols = x.columns
    q = x.index["demand"]
    served = np.zeros(len(model.rows_of("coverage")))
    np.maximum.at(served, row_of_columns(model, "coverage", x_cols), q)
    cov_keys = model.row_keys[model.rows_of("coverage")]
    blocks, uppers = [], []
    T = model.periods
    for family in ("capacity", "availability"):
        rows = model.rows_of(family)
        if len(rows) == 0:
            continue
        keys = model.row_keys[rows]
        if family == "capacity":  # keys (site, period): one row per period
            group, cov_group = keys[:, 1], cov_keys[:, 2]
        else:  # keys (site, service, period): one row per (service, period)
            group, cov_group = keys[:, 1] * T + keys[:, 2], cov_keys[:, 1] * T + cov_keys[:, 2]
        labels, inverse = np.unique(group, return_inverse=True)
        summing = sp.csr_array(
            (np.ones(len(rows)), (inverse, np.arange(len(rows)))), shape=(len(labels), len(rows))
        )
        blocks.append(summing @ _binary_part(model, rows))
        demand = np.array([served[cov_group == label].sum() for label in labels])
        uppers.append(summing @ model.row_upper[rows] - demand)
    if not blocks:
        return sp.csr_array((0, model.num_cols)), np.zeros(0), np.zeros(0)
    upper = np.concatenate(uppers)
    return sp.vstack(blocks, format="csr"), np.full(len(upper), -np.inf), upper


def arc_links(
    model: ModelArrays, columns: np.ndarray | None = None
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Rows ``x <= avail`` for the given x columns (default: all)."""
    x_cols = model.blocks["x"].columns if columns is None else np.asarray(columns)
    avail_rows = model.rows_of("availability")
    where = row_of_columns(model, "availability", x_cols)
    binary = _binary_part(model, avail_rows).tocsr()
    big_m = np.abs(binary).max(axis=1).toarray().ravel()
    big_m = np.maximum(big_m, model.row_upper[avail_rows])
    scale = np.divide(1.0, big_m, out=np.zeros_like(big_m), where=big_m > 0)
    avail = sp.diags(scale) @ binary
    links = avail[where] + sp.csr_array(
        (np.ones(len(x_cols)), (np.arange(len(x_cols)), x_cols)),
        shape=(len(x_cols), model.num_cols),
    )
    upper = (model.row_upper[avail_rows] * scale)[where]
    return sp.csr_array(links), np.full(len(x_cols), -np.inf), upper


def with_rows(
    model: ModelArrays, *parts: tuple[sp.csr_array, np.ndarray, np.ndarray]
) -> ModelArrays:
    """A copy of the model with the given rows appended as the ``implied`` family."""
    copy = dataclasses.replace(model)
    for matrix, lower, upper in parts:
        if matrix.shape[0]:
            copy.add_rows(matrix, lower, upper, "implied")
    return copy
