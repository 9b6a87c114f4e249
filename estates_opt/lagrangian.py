"""Lagrangian relaxation of coverage: an upper bound, a plan and fixed decisions.

Relaxing the coverage rows (MODEL.md 4.2, ``sum_s x[z, s, k, t] = 1``) with multipliers
``lam`` gives, for every ``lam``, an upper bound on the NPV::

    L(lam) = sum_r lam_r + max { c_b b + sum_x (c_x - lam_r(x)) x : the other rows }

It is relaxed once more (still an upper bound) so that it splits:

- the x-part of each (site, period) is a fractional knapsack under its capacity and
  availability rows (:func:`~estates_opt.model.knapsack.nested_knapsack`); other rows
  holding x (utilisation floors, custom rules) are dropped. With no project built the
  site's x-polytope is ``open[s, t]`` times the one at full base capacity, so its value is
  ``phi_base[s, t] * open[s, t]``; a project can at most lift it to ``phi_max[s, t]``
  (every project at the site built), counted as ``(phi_max - phi_base) * built[p, t]``
  for each project. Both terms are linear in the binaries.
- what is left is a *master* over the binaries with every row that holds no x, plus
  the cover rows of :mod:`estates_opt.model.strengthen` (the estate kept must hold the
  demand), solved by HiGHS as a MIP when it is small (its dual bound is used, so the
  bound stays valid at any master gap) and as an LP otherwise.

The multipliers follow the subgradient method with Polyak steps. Every few steps the
master's binaries are completed into a plan by an LP over x and w (a feasible plan,
hence a lower bound). At the end each binary is *probed*: the master is re-solved with
the binary flipped; if even that bound cannot beat the best plan by more than half the
requested gap, the binary is fixed. The solver then works on a much smaller tree.
This is the classic route for capacitated facility location (Beasley 1988).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from highspy._core import _Highs

from estates_opt.backends.highs import to_highs_lp
from estates_opt.model.arrays import ModelArrays
from estates_opt.model.knapsack import nested_knapsack
from estates_opt.model.strengthen import cover_rows, row_of_columns

__all__ = ["LagrangianResult", "lagrangian_bound"]

log = logging.getLogger(__name__)

MIP_MASTER_LIMIT = 2000
"""Masters with at most this many binaries are solved as MIPs, larger ones as LPs."""


@dataclass(frozen=True)
class LagrangianResult:
    """What the relaxation found, in the model's own units."""

    bound: float
    objective: float | None
    solution: np.ndarray | None
    lower: np.ndarray
    upper: np.ndarray
    fixed: int
    fixed_bound: float
    iterations: int
    seconds: float

    def gap(self) -> float:
        """Relative gap between the bound and the best plan (inf without a plan)."""
        if self.objective is None:
            return float("inf")
        return (self.bound - self.objective) / max(1.0, abs(self.bound))


def _pattern(matrix: sp.spmatrix) -> sp.csr_array:
    """0/1 matrix of the non-zeros."""
    m = sp.csr_array(matrix, copy=True)
    m.eliminate_zeros()
    m.data[:] = 1.0
    return m


def _headroom(model: ModelArrays, rows: np.ndarray) -> np.ndarray:
    """Most that projects can add to each row's right-hand side (one start per project)."""
    u = model.blocks["u"]
    extra = np.zeros(len(rows))
    if u.size == 0:
        return extra
    sub = model.matrix[rows][:, u.columns].tocoo()
    lift = -sub.data
    keep = lift > 0
    row, project, lift = sub.row[keep], u.index["project"][sub.col[keep]], lift[keep]
    key = row * (int(project.max(initial=0)) + 1) + project
    uniq, inverse = np.unique(key, return_inverse=True)
    best = np.zeros(len(uniq))
    np.maximum.at(best, inverse, lift)
    np.add.at(extra, uniq // (int(project.max(initial=0)) + 1), best)
    return extra


class _Relaxation:
    """The split model: site knapsacks plus a binary master."""

    def __init__(self, model: ModelArrays) -> None:
        x = model.blocks["x"]
        self.model = model
        self.x_cols = x.columns
        self.weight = x.index["demand"]
        self.cost = model.cost[self.x_cols]
        self.cov = row_of_columns(model, "coverage", self.x_cols)
        self.num_cov = len(model.rows_of("coverage"))
        cap_rows, av_rows = model.rows_of("capacity"), model.rows_of("availability")
        self.outer = row_of_columns(model, "capacity", self.x_cols)
        self.inner = row_of_columns(model, "availability", self.x_cols)
        self.cap_base = np.maximum(model.row_upper[cap_rows], 0.0)
        self.cap_max = self.cap_base + _headroom(model, cap_rows)
        self.av_base = np.maximum(model.row_upper[av_rows], 0.0)
        self.av_max = self.av_base + _headroom(model, av_rows)
        self.with_projects = bool(
            np.any(self.cap_max > self.cap_base) or np.any(self.av_max > self.av_base)
        )

        is_x = np.zeros(model.num_cols, dtype=bool)
        is_x[self.x_cols] = True
        self.master_cols = np.flatnonzero(~is_x)
        pick = sp.csr_array(
            (np.ones(len(self.master_cols)), (self.master_cols, np.arange(len(self.master_cols)))),
            shape=(model.num_cols, len(self.master_cols)),
        )
        # phi_base[s, t] enters as -phi on every d[s, tau <= t] (the capacity rows' d entries)
        d = model.blocks["d"]
        d_pick = np.zeros(model.num_cols, dtype=bool)
        d_pick[d.columns] = True
        cap_m = sp.csr_array(model.matrix[cap_rows])
        self.open_map = -_pattern(cap_m @ sp.diags(d_pick.astype(float)) @ pick)
        # phi_max - phi_base enters on every u[p, tau] built by t (capacity or availability)
        u = model.blocks["u"]
        u_pick = np.zeros(model.num_cols, dtype=bool)
        u_pick[u.columns] = True
        av_to_cap = np.zeros(len(av_rows), dtype=np.int64)
        av_to_cap[self.inner] = self.outer
        to_cap = sp.csr_array(
            (np.ones(len(av_rows)), (av_to_cap, np.arange(len(av_rows)))),
            shape=(len(cap_rows), len(av_rows)),
        )
        u_only = sp.diags(u_pick.astype(float))
        av_m = sp.csr_array(model.matrix[av_rows])
        self.built_map = _pattern(cap_m @ u_only @ pick + to_cap @ (av_m @ u_only @ pick))
        self.master = self._master_lp(pick)
        self.binary = model.integer[self.master_cols]

    def _master_lp(self, pick: sp.csr_array) -> highspy.HighsLp:
        model = self.model
        is_x = np.zeros(model.num_cols)
        is_x[self.x_cols] = 1.0
        has_x = np.abs(model.matrix) @ is_x > 0
        rows = np.flatnonzero(~has_x)
        cover, cover_lo, cover_up = cover_rows(model)
        matrix = sp.vstack([model.matrix[rows], cover], format="csr") @ pick
        sub = ModelArrays(
            cost=model.cost[self.master_cols],
            lower=model.lower[self.master_cols],
            upper=model.upper[self.master_cols],
            integer=model.integer[self.master_cols],
            matrix=sp.csr_array(matrix),
            row_lower=np.concatenate([model.row_lower[rows], cover_lo]),
            row_upper=np.concatenate([model.row_upper[rows], cover_up]),
            row_family=np.zeros(matrix.shape[0], dtype=np.int8),
            row_keys=np.zeros((matrix.shape[0], 3), dtype=np.int64),
            blocks={},
            arcs=model.arcs,
            pairs=model.pairs,
            demand=model.demand,
            periods=model.periods,
            service_names=model.service_names,
        )
        return to_highs_lp(sub)

    def knapsacks(self, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x shares and values per capacity row, at base and at full project capacity."""
        profit = self.cost - lam[self.cov]
        args = (profit, self.weight, self.inner)
        x_base, phi_base = nested_knapsack(*args, self.av_base, self.outer, self.cap_base)
        if not self.with_projects:
            return x_base, phi_base, x_base, phi_base
        x_max, phi_max = nested_knapsack(*args, self.av_max, self.outer, self.cap_max)
        return x_base, phi_base, x_max, np.maximum(phi_max, phi_base)


class _Master:
    """The binary master in HiGHS, re-solved with new costs each step."""

    def __init__(self, relaxation: _Relaxation) -> None:
        self.relax = relaxation
        self.as_mip = int(relaxation.binary.sum()) <= MIP_MASTER_LIMIT
        lp = relaxation.master
        if not self.as_mip:
            lp.integrality_ = []
        self.h = _Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("mip_rel_gap", 1e-6)
        self.h.passModel(lp)
        self.base_cost = np.asarray(lp.col_cost_)
        self.n = len(self.base_cost)
        self.index = np.arange(self.n, dtype=np.int32)

    def solve(self, cost: np.ndarray, time_limit: float) -> tuple[float, np.ndarray] | None:
        """(upper bound of the master, its solution), or None when it is infeasible."""
        self.h.changeColsCost(self.n, self.index, cost)
        self.h.setOptionValue("time_limit", max(0.05, float(time_limit)))
        self.h.run()
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if self.as_mip:
            bound = info.mip_dual_bound
            if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
                return (bound, np.zeros(self.n)) if np.isfinite(bound) else None
        elif status != highspy.HighsModelStatus.kOptimal:
            return None
        else:
            bound = info.objective_function_value
        return float(bound), np.asarray(self.h.getSolution().col_value)

    def flipped(self, cost: np.ndarray, column: int, value: float, time_limit: float) -> float:
        """Master bound with one binary forced to ``value`` (-inf if that is infeasible)."""
        lower = self.h.getLp().col_lower_[column]
        upper = self.h.getLp().col_upper_[column]
        self.h.changeColBounds(column, value, value)
        found = self.solve(cost, time_limit)
        self.h.changeColBounds(column, lower, upper)
        return -np.inf if found is None else found[0]


class _Completion:
    """Completes fixed binaries into a plan with an LP over x and w."""

    def __init__(self, model: ModelArrays) -> None:
        lp = to_highs_lp(model)
        lp.integrality_ = []
        self.h = _Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.binary = np.flatnonzero(model.integer).astype(np.int32)
        self.tried: set[bytes] = set()

    def plan(self, values: np.ndarray) -> tuple[float, np.ndarray] | None:
        fixed = np.round(values[self.binary])
        key = np.packbits(fixed.astype(bool)).tobytes()
        if key in self.tried:
            return None
        self.tried.add(key)
        self.h.changeColsBounds(len(self.binary), self.binary, fixed, fixed)
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return self.h.getInfo().objective_function_value, np.asarray(self.h.getSolution().col_value)


def lagrangian_bound(
    model: ModelArrays,
    *,
    seconds: float,
    mip_gap: float = 1e-4,
    start: np.ndarray | None = None,
    max_iterations: int = 3000,
) -> LagrangianResult | None:
    """Bound, best plan and fixings for a (money-scaled) model; None if it does not apply.

    ``start`` is a known feasible solution (its NPV seeds the step size). The search
    stops when the bound proves the best plan within ``mip_gap``, after ``seconds``, or
    when the steps become too small to matter.
    """
    began = time.perf_counter()
    if model.blocks["x"].size == 0 or len(model.rows_of("coverage")) == 0:
        return None
    relax = _Relaxation(model)
    master = _Master(relax)
    complete = _Completion(model)
    best_obj, best_sol = None, None
    if start is not None:
        best_obj, best_sol = model.objective(start), np.asarray(start)

    lam = np.full(relax.num_cov, -np.inf)
    np.maximum.at(lam, relax.cov, relax.cost)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    step, stall, best_bound, best_lam = 2.0, 0, np.inf, lam.copy()
    iteration, deadline = 0, began + 0.75 * seconds
    heuristic_every = 10
    for iteration in range(1, max_iterations + 1):
        now = time.perf_counter()
        if now > deadline:
            break
        x_base, phi_base, x_max, phi_max = relax.knapsacks(lam)
        cost = master.base_cost + relax.open_map.T @ phi_base
        cost = cost + relax.built_map.T @ (phi_max - phi_base)
        found = master.solve(cost, deadline - now)
        if found is None:
            return None
        master_bound, values = found
        bound = lam.sum() + phi_base.sum() + master_bound + model.objective_offset
        if bound < best_bound - 1e-9 * abs(best_bound if np.isfinite(best_bound) else 1.0):
            best_bound, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if iteration % heuristic_every == 1:
            full = np.zeros(model.num_cols)
            full[relax.master_cols] = values
            plan = complete.plan(full)
            if plan is not None and (best_obj is None or plan[0] > best_obj):
                best_obj, best_sol = plan
        if (
            best_obj is not None
            and best_bound - best_obj <= mip_gap * max(1.0, abs(best_bound)) / 2
        ):
            break
        # subgradient of L: 1 - (served share) per coverage row, at the master's choice
        open_now = 1.0 + relax.open_map @ values
        built_now = np.minimum(1.0, relax.built_map @ values)
        share_base = x_base * np.clip(open_now, 0, 1)[relax.outer]
        share = share_base + (x_max - x_base) * built_now[relax.outer]
        served = np.bincount(relax.cov, weights=share, minlength=relax.num_cov)
        grad = 1.0 - served
        norm = grad @ grad
        if norm < 1e-12 or step < 1e-6:
            break
        target = best_obj if best_obj is not None else bound - 0.05 * max(1.0, abs(bound))
        lam = lam - step * max(bound - target, 1e-9 * max(1.0, abs(bound))) / norm * grad

    lower, upper = model.lower.copy(), model.upper.copy()
    fixed, fixed_bound = 0, -np.inf
    if best_obj is not None and np.isfinite(best_bound):
        fixed, fixed_bound = _probe(
            relax, master, best_lam, best_obj, mip_gap, lower, upper, began + seconds
        )
    seconds_used = time.perf_counter() - began
    log.info(
        "lagrangian: bound %.6g, plan %s, %d fixed, %d steps, %.1f s",
        best_bound, best_obj, fixed, iteration, seconds_used,
    )  # fmt: skip
    return LagrangianResult(
        bound=float(best_bound),
        objective=None if best_obj is None else float(best_obj),
        solution=best_sol,
        lower=lower,
        upper=upper,
        fixed=fixed,
        fixed_bound=float(fixed_bound),
        iterations=iteration,
        seconds=seconds_used,
    )


def _probe(
    relax: _Relaxation,
    master: _Master,
    lam: np.ndarray,
    incumbent: float,
    mip_gap: float,
    lower: np.ndarray,
    upper: np.ndarray,
    deadline: float,
) -> tuple[int, float]:
    """Fix each binary whose flip cannot beat the incumbent by half the gap."""
    _, phi_base, _, phi_max = relax.knapsacks(lam)
    cost = master.base_cost + relax.open_map.T @ phi_base
    cost = cost + relax.built_map.T @ (phi_max - phi_base)
    constant = lam.sum() + phi_base.sum() + relax.model.objective_offset
    found = master.solve(cost, max(1.0, deadline - time.perf_counter()))
    if found is None:
        return 0, -np.inf
    _, values = found
    threshold = incumbent + mip_gap * max(1.0, abs(incumbent)) / 2
    fixed, fixed_bound = 0, -np.inf
    for j in np.flatnonzero(relax.binary):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        value = round(values[j])
        flip_bound = constant + master.flipped(cost, int(j), 1.0 - value, remaining)
        if flip_bound <= threshold:
            column = relax.master_cols[j]
            lower[column] = upper[column] = value
            fixed += 1
            fixed_bound = max(fixed_bound, flip_bound)
    return fixed, fixed_bound
