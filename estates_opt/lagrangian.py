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
from collections.abc import Callable
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

HEURISTIC_EVERY = 25
"""Every this many steps the master's binaries are completed into a plan."""

STEADY_STEPS = 50
"""A binary with one value over this many last steps counts as steady (see ``core``)."""

PROBE_COMPLETIONS = 30
"""The flipped masters with the highest bounds that are completed into plans."""


@dataclass(frozen=True)
class LagrangianResult:
    """What the relaxation found, in the (scaled) model's own units.

    ``probe_bounds[i]`` bounds every plan in which binary ``probe_columns[i]`` differs
    from ``probe_values[i]`` (inf where it was not probed); ``steady`` marks binaries that
    kept one value over the last steps of the search.
    """

    bound: float
    objective: float | None
    solution: np.ndarray | None
    iterations: int
    seconds: float
    lower: np.ndarray
    upper: np.ndarray
    probe_columns: np.ndarray
    probe_values: np.ndarray
    probe_bounds: np.ndarray
    steady: np.ndarray

    def gap(self, objective: float | None = None) -> float:
        """Relative gap between the bound and a plan (default: the best found)."""
        objective = self.objective if objective is None else objective
        if objective is None:
            return float("inf")
        return (self.bound - objective) / max(1.0, abs(self.bound))

    def fixings(self, incumbent: float, gap: float) -> tuple[np.ndarray, np.ndarray, int, float]:
        """Column bounds fixing every binary whose flip cannot beat ``incumbent`` by
        ``gap`` (relative); also how many were fixed and the best bound given up."""
        threshold = incumbent + gap * max(1.0, abs(incumbent))
        hopeless = self.probe_bounds <= threshold
        lower, upper = self.lower.copy(), self.upper.copy()
        columns = self.probe_columns[hopeless]
        lower[columns] = upper[columns] = self.probe_values[hopeless]
        given_up = float(self.probe_bounds[hopeless].max(initial=-np.inf))
        return lower, upper, int(hopeless.sum()), given_up

    def core(self) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds fixing every binary that stayed steady: a heuristic restriction."""
        lower, upper = self.lower.copy(), self.upper.copy()
        columns = self.probe_columns[self.steady]
        lower[columns] = upper[columns] = self.probe_values[self.steady]
        return lower, upper


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

    def master_cost(
        self, base_cost: np.ndarray, phi_base: np.ndarray, phi_max: np.ndarray
    ) -> np.ndarray:
        """The master's objective: its own costs plus the site values it switches on."""
        cost = base_cost + self.open_map.T @ phi_base
        return cost + self.built_map.T @ (phi_max - phi_base)

    def served(self, values: np.ndarray, x_base: np.ndarray, x_max: np.ndarray) -> np.ndarray:
        """Share of each coverage row served by the knapsacks at the master's choice."""
        open_now = np.clip(1.0 + self.open_map @ values, 0.0, 1.0)
        built_now = np.minimum(1.0, self.built_map @ values)
        share = x_base * open_now[self.outer] + (x_max - x_base) * built_now[self.outer]
        return np.bincount(self.cov, weights=share, minlength=self.num_cov)

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
        self.h.setOptionValue("mip_rel_gap", 1e-5)
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

    def flipped(
        self, cost: np.ndarray, column: int, value: float, time_limit: float
    ) -> tuple[float, np.ndarray | None]:
        """Master bound and solution with one binary forced to ``value`` (-inf: infeasible)."""
        lower = self.h.getLp().col_lower_[column]
        upper = self.h.getLp().col_upper_[column]
        self.h.changeColBounds(column, value, value)
        found = self.solve(cost, time_limit)
        self.h.changeColBounds(column, lower, upper)
        return (-np.inf, None) if found is None else found


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
    """Bound, best plan and probes for a (money-scaled) model; None if it does not apply.

    ``start`` is a known feasible solution. The search stops when the bound proves the
    best plan within ``mip_gap``, after three quarters of ``seconds`` (the rest goes to
    probing), or when the steps become too small to matter.
    """
    began = time.perf_counter()
    if model.blocks["x"].size == 0 or len(model.rows_of("coverage")) == 0:
        return None
    relax = _Relaxation(model)
    master = _Master(relax)
    complete = _Completion(model)
    best: tuple[float, np.ndarray] | None = None
    if start is not None:
        best = (model.objective(start), np.asarray(start, dtype=float))

    def offer(values: np.ndarray) -> None:
        nonlocal best
        full = np.zeros(model.num_cols)
        full[relax.master_cols] = values
        plan = complete.plan(full)
        if plan is not None and (best is None or plan[0] > best[0]):
            best = plan

    lam = np.full(relax.num_cov, -np.inf)
    np.maximum.at(lam, relax.cov, relax.cost)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    step, stall, best_bound, best_lam = 2.0, 0, np.inf, lam.copy()
    recent: list[np.ndarray] = []
    direction = None
    iteration, deadline = 0, began + 0.75 * seconds
    for iteration in range(1, max_iterations + 1):
        now = time.perf_counter()
        if now > deadline:
            break
        x_base, phi_base, x_max, phi_max = relax.knapsacks(lam)
        found = master.solve(relax.master_cost(master.base_cost, phi_base, phi_max), deadline - now)
        if found is None:
            return None
        master_bound, values = found
        bound = lam.sum() + phi_base.sum() + master_bound + model.objective_offset
        recent = [*recent[-(STEADY_STEPS - 1) :], np.round(values[relax.binary])]
        if bound < best_bound - 1e-9 * max(1.0, abs(bound)):
            best_bound, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if iteration % HEURISTIC_EVERY == 1:
            offer(values)
        if best is not None and best_bound - best[0] <= mip_gap * max(1.0, abs(best_bound)):
            break
        grad = 1.0 - relax.served(values, x_base, x_max)
        # deflected subgradient (Camerini, Fratta and Maffioli 1975): fewer zig-zags
        if direction is not None and direction @ direction > 0:
            grad = grad + max(0.0, -1.5 * (grad @ direction) / (direction @ direction)) * direction
        direction = grad
        norm = grad @ grad
        if norm < 1e-12 or step < 1e-6:
            break
        target = best[0] if best is not None else bound - 0.05 * max(1.0, abs(bound))
        lam = lam - step * max(bound - target, 1e-9 * max(1.0, abs(bound))) / norm * grad

    binaries = np.flatnonzero(relax.binary)
    probe_values = np.zeros(len(binaries))
    probe_bounds = np.full(len(binaries), np.inf)
    if np.isfinite(best_bound):
        probe_values, probe_bounds = _probe(relax, master, best_lam, offer, began + seconds)
    steady = np.zeros(len(binaries), dtype=bool)
    if len(recent) == STEADY_STEPS:
        stack = np.vstack(recent)
        steady = np.all(stack == stack[-1], axis=0) & (stack[-1] == probe_values)
    seconds_used = time.perf_counter() - began
    log.info(
        "lagrangian: bound %.6g, plan %s, %d steps, %.1f s",
        best_bound, None if best is None else best[0], iteration, seconds_used,
    )  # fmt: skip
    return LagrangianResult(
        bound=float(best_bound),
        objective=None if best is None else float(best[0]),
        solution=None if best is None else best[1],
        iterations=iteration,
        seconds=seconds_used,
        lower=model.lower.copy(),
        upper=model.upper.copy(),
        probe_columns=relax.master_cols[binaries],
        probe_values=probe_values,
        probe_bounds=probe_bounds,
        steady=steady,
    )


def _probe(
    relax: _Relaxation,
    master: _Master,
    lam: np.ndarray,
    offer: Callable[[np.ndarray], None],
    deadline: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Flip each binary of the master at the best multipliers.

    Returns the master's binary values and, per binary, the bound with it flipped. The
    flipped masters with the highest bounds are completed into plans (``offer``).
    """
    _, phi_base, _, phi_max = relax.knapsacks(lam)
    cost = relax.master_cost(master.base_cost, phi_base, phi_max)
    constant = lam.sum() + phi_base.sum() + relax.model.objective_offset
    binaries = np.flatnonzero(relax.binary)
    bounds = np.full(len(binaries), np.inf)
    found = master.solve(cost, max(1.0, deadline - time.perf_counter()))
    if found is None:
        return np.zeros(len(binaries)), bounds
    values = np.round(found[1])
    flipped: list[np.ndarray | None] = [None] * len(binaries)
    for i, j in enumerate(binaries):
        if time.perf_counter() > deadline:
            break
        bound, flipped[i] = master.flipped(cost, int(j), 1.0 - values[j], 1.0)
        bounds[i] = constant + bound
    for i in np.argsort(-bounds)[:PROBE_COMPLETIONS]:
        if flipped[i] is not None and np.isfinite(bounds[i]) and time.perf_counter() < deadline:
            offer(flipped[i])
    return values[binaries], bounds
