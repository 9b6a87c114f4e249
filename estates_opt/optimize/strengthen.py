"""Valid inequalities that tighten the LP relaxation without changing the optimum.

All three families are implied by the canonical rows at every integer point, so a solver
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
- **Zone cover rows** (:func:`zone_cover_rows`): the arc links of one zone and service
  summed, ``sum_s avail[s, k, t] >= 1`` over the sites within reach; rows of binaries
  only, one per zone whose every provider may close or has yet to be built.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from estates_opt.model.arrays import ModelArrays

__all__ = ["arc_links", "cover_rows", "row_of_columns", "with_rows", "zone_cover_rows"]


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


def zone_cover_rows(model: ModelArrays) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Rows ``sum_{s in reach(z, k)} avail[s, k, t] >= 1`` where every provider may go.

    The sum of the arc links of one coverage row: some site within reach of the zone must
    still offer the service. A zone served by a site that can never stop offering it
    always meets its row, so such rows are left out, and zones with the same reach share
    one row. On London they are about 1,400 rows of binaries only and take the LP bound
    from 2.24bn to 1.84bn (all arc links: 1.81bn with 53,000 rows and a 30 times slower LP).
    """
    x_cols = model.blocks["x"].columns
    links, _, upper = arc_links(model)
    coverage = row_of_columns(model, "coverage", x_cols)
    provider_stays = (np.diff(links.indptr) == 1) & (upper >= 1)  # x alone, avail 1
    met = np.zeros(len(model.rows_of("coverage")), dtype=bool)
    met[coverage[provider_stays]] = True
    keep = np.flatnonzero(~met[coverage])
    rows, inverse = np.unique(coverage[keep], return_inverse=True)
    summing = sp.csr_array(
        (np.ones(len(keep)), (inverse, np.arange(len(keep)))), shape=(len(rows), len(keep))
    )
    not_x = np.ones(model.num_cols)
    not_x[x_cols] = 0.0
    matrix = sp.csr_array(summing @ links[keep] @ sp.diags(not_x))
    matrix.eliminate_zeros()
    matrix.data = np.round(matrix.data, 12)
    rhs = np.round(summing @ upper[keep] - 1.0, 9)
    seen: dict[bytes, int] = {}
    for i in range(matrix.shape[0]):
        span = slice(matrix.indptr[i], matrix.indptr[i + 1])
        key = matrix.indices[span].tobytes() + matrix.data[span].tobytes() + rhs[i].tobytes()
        seen.setdefault(key, i)
    first = np.array(sorted(seen.values()), dtype=np.int64)
    return sp.csr_array(matrix[first]), np.full(len(first), -np.inf), rhs[first]
