"""The strong textbook CFLP model in plain HiGHS: the yardstick for location-type cases.

Issue 20: HiGHS called directly (highspy) on the textbook strong formulation, built
from the instance's arrays (never through our model or our solve):

    min  sum_i f_i y_i + sum_ij c_ij x_ij
    s.t. sum_i x_ij = 1                       every customer j (assignment)
         sum_j d_j x_ij <= C_i y_i            every facility i (capacity)
         x_ij <= y_i                          every pair (strong links)
         sum_i C_i y_i >= sum_j d_j           one total-capacity row
         y_i in {0, 1}, x_ij in [0, 1]

``c_ij`` is the TOTAL cost of serving all of customer j from facility i (the arrays of
:mod:`estates_opt.sources.orlib` and :mod:`estates_opt.sources.cflp`). Its cost equals
``sum_i f_i - NPV`` of our mapping, so :func:`solve_textbook` reports the objective and
bound on our NPV scale too, and the gap on both scales.
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from highspy._core import _Highs

__all__ = ["build_textbook", "solve_textbook"]


def build_textbook(
    capacities: np.ndarray, fixed: np.ndarray, demands: np.ndarray, costs: np.ndarray
) -> highspy.HighsLp:
    """The textbook model as a column-wise ``HighsLp`` (minimisation).

    Columns: ``y_0..y_{m-1}``, then ``x_ij`` at ``m + i n + j``. Rows: n assignments,
    m capacities, m n links, one total-capacity row.

    Examples
    --------
    >>> lp = build_textbook(np.array([5.0, 5.0]), np.array([3.0, 4.0]),
    ...                     np.array([2.0, 3.0, 1.0]), np.ones((3, 2)))
    >>> lp.num_col_, lp.num_row_
    (8, 12)
    """
    m, n = len(capacities), len(demands)
    arcs = m * n
    x = m + np.arange(arcs)  # column of x_ij, facility-major
    fac = np.repeat(np.arange(m), n)
    cus = np.tile(np.arange(n), m)
    r_assign = cus
    r_cap = n + fac
    r_link = n + m + np.arange(arcs)
    r_total = n + m + arcs
    rows = np.concatenate([r_assign, r_cap, r_link, n + np.arange(m), r_link, np.full(m, r_total)])
    cols = np.concatenate([x, x, x, np.arange(m), fac, np.arange(m)])
    vals = np.concatenate(
        [np.ones(arcs), demands[cus], np.ones(arcs), -capacities, -np.ones(arcs), capacities]
    )
    num_rows = r_total + 1
    csc = sp.csc_matrix((vals, (rows, cols)), shape=(num_rows, m + arcs))
    csc.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + arcs, num_rows
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.col_cost_ = np.concatenate([fixed, costs.T.ravel()])  # costs[j, i] -> x_ij
    lp.col_lower_ = np.zeros(m + arcs)
    lp.col_upper_ = np.ones(m + arcs)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m + arcs, -inf), [demands.sum()]])
    lp.row_upper_ = np.concatenate([np.ones(n), np.zeros(m + arcs), [inf]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = m + arcs, num_rows
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [
        highspy.HighsVarType.kContinuous
    ] * arcs
    return lp


def solve_textbook(
    lp: highspy.HighsLp,
    fixed_total: float,
    *,
    mip_gap: float,
    time_limit: float,
    npv_gap: bool = True,
) -> dict[str, Any]:
    """Hand the model to HiGHS (``passModel``) and solve it with default options.

    ``mip_gap`` is HiGHS's ``mip_rel_gap`` on the cost (the caller converts our NPV-scale
    gap, :mod:`benchmarks.cases_cflp`). ``fixed_total`` (the sum of fixed costs) turns
    the cost into our NPV: ``objective``, ``bound`` and ``gap`` are on our scale
    (``gap`` relative to the NPV when ``npv_gap``), ``cost``, ``cost_bound`` and
    ``cost_gap`` on the cost scale. ``handoff_s`` is ``passModel``; ``solve_s`` is
    ``run``.
    """
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    began = time.perf_counter()
    highs.passModel(lp)
    handoff = time.perf_counter() - began
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    highs.setOptionValue("time_limit", float(time_limit))
    began = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - began
    info = highs.getInfo()
    status = highs.modelStatusToString(highs.getModelStatus())
    has_solution = info.primal_solution_status == 2
    cost = float(info.objective_function_value) if has_solution else None
    bound = float(info.mip_dual_bound)
    out: dict[str, Any] = {
        "solver": "textbook-highs",
        "handoff_s": handoff,
        "solve_s": seconds,
        "status": status,
        "cost": cost,
        "cost_bound": bound,
        "cost_gap": float(info.mip_gap) if has_solution else None,
        "nodes": int(info.mip_node_count),
    }
    if cost is not None:
        npv, npv_bound = float(fixed_total - cost), float(fixed_total - bound)
        out["objective"] = npv
        out["bound"] = npv_bound
        out["gap"] = abs(npv_bound - npv) / max(abs(npv), 1e-9) if npv_gap else out["cost_gap"]
    else:
        out.update(objective=None, bound=None, gap=None)
    return out
