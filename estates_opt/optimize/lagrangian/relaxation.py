"""The split model of the Lagrangian relaxation: site knapsacks, master and completion.

Relaxing the coverage rows (MODEL.md 4.2, ``sum_s x[z, s, k, t] = 1``) with multipliers
``lam`` gives, for every ``lam``, an upper bound on the NPV::

    L(lam) = sum_r lam_r + max { c_b b + sum_x (c_x - lam_r(x)) x : the other rows }

It is relaxed once more (still an upper bound) so that it splits:

- the x-part of each (site, period) is a fractional knapsack under its capacity and
  availability rows (:func:`~estates_opt.optimize.lagrangian.knapsack.nested_knapsack`); other rows
  holding x (utilisation floors, custom rules) are dropped. With no project built the
  site's x-polytope is ``open[s, t]`` times the one at full base capacity, so its value is
  ``phi_base[s, t] * open[s, t]``; a project can at most lift it to ``phi_max[s, t]``
  (every project at the site built), counted as ``(phi_max - phi_base) * built[p, t]``
  for each project. Both terms are linear in the binaries.
- what is left is a :class:`Master` over the binaries with every row that holds no x,
  plus the cover rows of :mod:`estates_opt.optimize.strengthen` (the estate kept must hold
  the demand), solved by HiGHS as a MIP when it is small (its dual bound is used, so
  the bound stays valid at any master gap) and as an LP otherwise.

:class:`Completion` turns the master's binaries into a feasible plan with an LP over x
and w (a lower bound).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from estates_opt.backends.engine import Engine
from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.lagrangian.knapsack import nested_knapsack
from estates_opt.optimize.strengthen import cover_rows, row_of_columns

__all__ = ["MIP_MASTER_LIMIT", "Completion", "Master", "Relaxation"]

MIP_MASTER_LIMIT = 2000
"""Masters with at most this many binaries are solved as MIPs, larger ones as LPs."""


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


class Relaxation:
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

    def _master_lp(self, pick: sp.csr_array) -> ModelArrays:
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
        return sub

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
        some = np.flatnonzero((x_base > 0) | (x_max > 0))  # most shares are zero
        outer = self.outer[some]
        share = x_base[some] * open_now[outer] + (x_max[some] - x_base[some]) * built_now[outer]
        return np.bincount(self.cov[some], weights=share, minlength=self.num_cov)

    def alive(self, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Capacity rows that can still hold anything under the master's column bounds.

        A row whose site is surely disposed (``open`` is 0 even at the lower bounds of d)
        and where no project can be built adds nothing: its knapsack can be skipped.
        """
        can_open = 1.0 + self.open_map @ lower > 1e-9
        can_build = self.built_map @ upper > 1e-9
        return can_open | can_build

    def knapsacks(
        self, lam: np.ndarray, alive: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x shares and values per capacity row, at base and at full project capacity.

        Rows not ``alive`` get value 0 (they are switched off in the master anyway).
        """
        profit = self.cost - lam[self.cov]
        if alive is not None:
            profit = np.where(alive[self.outer], profit, 0.0)
        args = (profit, self.weight, self.inner)
        x_base, phi_base = nested_knapsack(*args, self.av_base, self.outer, self.cap_base)
        if not self.with_projects:
            return x_base, phi_base, x_base, phi_base
        x_max, phi_max = nested_knapsack(*args, self.av_max, self.outer, self.cap_max)
        return x_base, phi_base, x_max, np.maximum(phi_max, phi_base)


class Master:
    """The binary master in HiGHS, re-solved with new costs each step."""

    def __init__(self, relaxation: Relaxation) -> None:
        self.relax = relaxation
        self.as_mip = int(relaxation.binary.sum()) <= MIP_MASTER_LIMIT
        master = relaxation.master if self.as_mip else relaxation.master.relaxation()
        self.engine = Engine(master, mip_gap=1e-5)
        self.lower = np.asarray(master.lower, dtype=float)
        self.upper = np.asarray(master.upper, dtype=float)
        self.base_cost = np.asarray(master.cost)
        self.n = len(self.base_cost)
        self.index = np.arange(self.n)

    def solve(self, cost: np.ndarray, time_limit: float) -> tuple[float, np.ndarray] | None:
        """(upper bound of the master, its solution); None only when it is infeasible.

        A run stopped by the time limit gives its dual bound, or +inf with zeros when it
        has none, so a caller never mistakes "out of time" for "nothing here".
        """
        self.engine.set_costs(cost)
        run = self.engine.solve(max(0.05, float(time_limit)))
        if run.status == "infeasible":
            return None
        values = run.values if run.values is not None else np.zeros(self.n)
        return run.bound, values

    def flipped(
        self, cost: np.ndarray, column: int, value: float, time_limit: float
    ) -> tuple[float, np.ndarray | None]:
        """Master bound and solution with one binary forced to ``value`` (-inf: infeasible)."""
        at = np.array([column])
        self.engine.set_bounds(at, np.array([value]), np.array([value]))
        found = self.solve(cost, time_limit)
        self.engine.set_bounds(at, self.lower[at], self.upper[at])
        return (-np.inf, None) if found is None else found

    def restrict(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Set the master's column bounds (a node of the branch and bound)."""
        self.lower, self.upper = lower.copy(), upper.copy()
        self.engine.set_bounds(self.index, self.lower, self.upper)


class Completion:
    """Completes fixed binaries into a plan with an LP over x and w."""

    def __init__(self, model: ModelArrays) -> None:
        self.engine = Engine(model.relaxation())
        self.binary = np.flatnonzero(model.integer)
        self.tried: set[bytes] = set()

    def plan(self, values: np.ndarray) -> tuple[float, np.ndarray] | None:
        fixed = np.round(values[self.binary])
        key = np.packbits(fixed.astype(bool)).tobytes()
        if key in self.tried:
            return None
        self.tried.add(key)
        self.engine.set_bounds(self.binary, fixed, fixed)
        run = self.engine.solve()
        if run.status != "optimal" or run.values is None or run.objective is None:
            return None
        return run.objective, run.values
