"""Subgradient ascent, probing and a Lagrangian branch and bound.

- **Ascent**: the multipliers follow the deflected subgradient method (Camerini, Fratta
  and Maffioli 1975) with Polyak steps towards the best plan's NPV; every few steps the
  master's binaries are completed into a plan.
- **Probing**: at the best multipliers each binary is flipped in the master. The bound
  with the flip bounds every plan in which that binary differs; the most promising flips
  are completed into plans, and :meth:`LagrangianResult.fixings` fixes the hopeless.
- **Branch and bound** (masters solved as MIPs only): nodes fix binaries in the master,
  children re-run a short ascent from their parent's multipliers and are pruned as soon
  as their bound cannot beat the best plan by the gap. This is Beasley's (1988) scheme
  for capacitated location; it proves what the bound alone leaves open.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.lagrangian.relaxation import Completion, Master, Relaxation

__all__ = ["LagrangianResult", "lagrangian_bound"]

log = logging.getLogger(__name__)

HEURISTIC_EVERY = 25
"""Every this many steps the master's binaries are completed into a plan."""

STEADY_STEPS = 50
"""A binary with one value over this many last steps counts as steady (see ``core``)."""

PROBE_COMPLETIONS = 30
"""The flipped masters with the highest bounds that are completed into plans."""

CHILD_STEPS = 300
"""Most ascent steps in a branch-and-bound node."""

CHILD_STEP0 = 1.0
"""Initial step factor of a node's ascent."""

BRANCH_MIN_GAP = 5e-7
"""Subgradient bounds settle to about 1e-7: below this gap the branch and bound is left to
the solver (the phase then only bounds, probes and hands over plans)."""

MIN_STEP = 1e-6
"""An ascent ends when its step factor (halved after 20 steps without progress) is this small
(1e-4 was measured: weaker node bounds, more nodes, slower proofs)."""

STALL_STEPS = 100
"""The root ascent stops when its bound has not improved by 1e-7 in this many steps."""


@dataclass(frozen=True)
class LagrangianResult:
    """What the relaxation found, in the (scaled) model's own units.

    ``bound`` is valid for the whole model. ``probe_bounds[i]`` bounds every plan in
    which binary ``probe_columns[i]`` differs from ``probe_values[i]`` (inf where it was
    not probed); ``steady`` marks binaries that kept one value over the last steps.
    ``proved`` says the branch and bound closed: no plan beats the best by the gap.
    """

    bound: float
    objective: float | None
    solution: np.ndarray | None
    iterations: int
    nodes: int
    proved: bool
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


@dataclass
class _Ascent:
    bound: float
    lam: np.ndarray
    values: np.ndarray | None
    steps: int
    recent: list[np.ndarray] = field(default_factory=list)


class _Search:
    """The relaxation, its master and the best plan found so far."""

    def __init__(self, model: ModelArrays, start: np.ndarray | None, gap: float) -> None:
        self.model = model
        self.relax = Relaxation(model)
        self.master = Master(self.relax)
        self.complete = Completion(model)
        self.gap = gap
        self.best: tuple[float, np.ndarray] | None = None
        if start is not None:
            self.best = (model.objective(start), np.asarray(start, dtype=float))
        self.binaries = np.flatnonzero(self.relax.binary)
        self.alive: np.ndarray | None = None

    def restrict(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Set the master's column bounds (a node) and skip the rows they switch off."""
        self.master.restrict(lower, upper)
        self.alive = self.relax.alive(lower, upper)

    def threshold(self) -> float:
        """A bound at or below this cannot beat the best plan by the gap."""
        if self.best is None:
            return -np.inf
        return self.best[0] + self.gap * max(1.0, abs(self.best[0]))

    def offer(self, values: np.ndarray) -> None:
        """Complete master values into a plan; keep it if it is the best."""
        full = np.zeros(self.model.num_cols)
        full[self.relax.master_cols] = values
        plan = self.complete.plan(full)
        if plan is not None and (self.best is None or plan[0] > self.best[0]):
            self.best = plan

    def evaluate(self, lam: np.ndarray, deadline: float) -> tuple | None:
        """(bound, master values, cost, knapsack shares) at ``lam``; None if infeasible."""
        relax = self.relax
        x_base, phi_base, x_max, phi_max = relax.knapsacks(lam, self.alive)
        cost = relax.master_cost(self.master.base_cost, phi_base, phi_max)
        found = self.master.solve(cost, max(0.05, deadline - time.perf_counter()))
        if found is None:
            return None
        constant = lam.sum() + phi_base.sum() + self.model.objective_offset
        return constant + found[0], found[1], cost, constant, x_base, x_max

    def ascent(
        self, lam: np.ndarray, steps: int, deadline: float, step: float, stall_steps: int
    ) -> _Ascent:
        """Subgradient steps from ``lam``; stops early once the node is pruned."""
        best = _Ascent(np.inf, lam.copy(), None, 0)
        direction, stall, since = None, 0, 0
        for iteration in range(1, steps + 1):
            if time.perf_counter() > deadline:
                break
            found = self.evaluate(lam, deadline)
            if found is None:
                return _Ascent(-np.inf, lam, None, iteration)
            bound, values, _, _, x_base, x_max = found
            best.steps = iteration
            best.recent = [*best.recent[-(STEADY_STEPS - 1) :], np.round(values[self.binaries])]
            if bound < best.bound - 1e-7 * max(1.0, abs(bound)):
                best.bound, best.lam, best.values, stall, since = bound, lam.copy(), values, 0, 0
            else:
                stall, since = stall + 1, since + 1
                if stall >= 20:
                    step, stall = step / 2, 0
            if iteration % HEURISTIC_EVERY == 1:
                self.offer(values)
            if best.bound <= self.threshold() or since >= stall_steps:
                break
            grad = 1.0 - self.relax.served(values, x_base, x_max)
            if direction is not None and direction @ direction > 0:
                deflect = max(0.0, float(-1.5 * (grad @ direction) / (direction @ direction)))
                grad = grad + deflect * direction
            direction = grad
            norm = grad @ grad
            if norm < 1e-12 or step < MIN_STEP:
                break
            target = self.best[0] if self.best is not None else bound - 0.05 * max(1.0, abs(bound))
            excess = max(float(bound - target), 1e-9 * max(1.0, abs(bound)))
            lam = lam - step * excess / norm * grad
        return best

    def probe(
        self, lam: np.ndarray, deadline: float, completions: int = PROBE_COMPLETIONS
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Master values at ``lam`` and, per free binary, the bound with it flipped."""
        found = self.evaluate(lam, deadline)
        if found is None:
            return None
        _, values, cost, constant, _, _ = found
        values = np.round(values)
        bounds = np.full(len(self.binaries), np.inf)
        flipped: list[np.ndarray | None] = [None] * len(self.binaries)
        free = self.master.lower[self.binaries] < self.master.upper[self.binaries]
        for i in np.flatnonzero(free):
            if time.perf_counter() > deadline:
                break
            j = int(self.binaries[i])
            bound, flipped[i] = self.master.flipped(cost, j, 1.0 - values[j], 1.0)
            bounds[i] = constant + bound
        for i in np.argsort(-bounds)[:completions]:
            if flipped[i] is not None and np.isfinite(bounds[i]):
                if time.perf_counter() > deadline:
                    break
                self.offer(flipped[i])
        return values[self.binaries], bounds


def lagrangian_bound(
    model: ModelArrays,
    *,
    seconds: float,
    mip_gap: float = 1e-4,
    start: np.ndarray | None = None,
    max_iterations: int = 3000,
    branch: bool = True,
) -> LagrangianResult | None:
    """Bound, best plan and probes for a (money-scaled) model; None if it does not apply.

    ``start`` is a known feasible solution. The root ascent gets half of ``seconds``
    at most, probing the next 15 %, and (``branch``, small masters only) the branch and
    bound the rest. ``mip_gap`` is the relative gap within which a plan counts as proved.
    """
    began = time.perf_counter()
    if model.blocks["x"].size == 0 or len(model.rows_of("coverage")) == 0:
        return None
    search = _Search(model, start, mip_gap)
    relax = search.relax
    lam = np.full(relax.num_cov, -np.inf)
    np.maximum.at(lam, relax.cov, relax.cost)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    deadline = began + seconds
    root = search.ascent(lam, max_iterations, began + 0.5 * seconds, 2.0, STALL_STEPS)
    if not np.isfinite(root.bound):
        return None
    n = len(search.binaries)
    probe_values, probe_bounds = np.zeros(n), np.full(n, np.inf)
    probed = search.probe(root.lam, began + 0.65 * seconds)
    if probed is not None:
        probe_values, probe_bounds = probed
    steady = np.zeros(n, dtype=bool)
    if len(root.recent) == STEADY_STEPS:
        stack = np.vstack(root.recent)
        steady = np.all(stack == stack[-1], axis=0) & (stack[-1] == probe_values)
    bound, nodes, proved = root.bound, 1, root.bound <= search.threshold()
    if (
        branch
        and mip_gap >= BRANCH_MIN_GAP
        and not proved
        and search.master.as_mip
        and search.best is not None
    ):
        bound, nodes, proved = _branch_and_bound(search, root, deadline)
    best = search.best
    seconds_used = time.perf_counter() - began
    log.info(
        "lagrangian: bound %.8g, plan %s, %d steps, %d nodes%s, %.1f s",
        bound, None if best is None else best[0], root.steps, nodes,
        " (proved)" if proved else "", seconds_used,
    )  # fmt: skip
    return LagrangianResult(
        bound=float(bound),
        objective=None if best is None else float(best[0]),
        solution=None if best is None else best[1],
        iterations=root.steps,
        nodes=nodes,
        proved=bool(proved),
        seconds=seconds_used,
        lower=model.lower.copy(),
        upper=model.upper.copy(),
        probe_columns=relax.master_cols[search.binaries],
        probe_values=probe_values,
        probe_bounds=probe_bounds,
        steady=steady,
    )


def _branch_and_bound(search: _Search, root: _Ascent, deadline: float) -> tuple[float, int, bool]:
    """Best-bound-first search over the master's binaries: (bound, nodes, proved)."""
    master = search.master
    top_lower, top_upper = master.lower.copy(), master.upper.copy()
    order = itertools.count()
    heap = [(-root.bound, next(order), top_lower, top_upper, root.lam)]
    closed = -np.inf  # best bound of any pruned node
    nodes = 1
    try:
        while heap and time.perf_counter() < deadline:
            neg_bound, _, lower, upper, lam = heapq.heappop(heap)
            if -neg_bound <= search.threshold():
                closed = max(closed, -neg_bound)
                continue
            search.restrict(lower, upper)
            probed = search.probe(lam, deadline, completions=0)
            if probed is None:  # the node's master is infeasible: nothing below it
                continue
            values, flips = probed
            hopeless = flips <= search.threshold()
            closed = max(closed, float(flips[hopeless].max(initial=-np.inf)))
            lower, upper = lower.copy(), upper.copy()
            columns = search.binaries[hopeless]
            lower[columns] = upper[columns] = values[hopeless]
            free = np.flatnonzero(lower[search.binaries] < upper[search.binaries])
            if len(free) == 0:
                # every binary decided: the node is one plan, its exact value by the LP
                search.restrict(lower, upper)
                leaf = search.evaluate(lam, deadline)
                if leaf is not None:
                    search.offer(leaf[1])
                closed = max(closed, -np.inf if search.best is None else search.best[0])
                continue
            open_flips = np.full(len(flips), -np.inf)
            open_flips[free] = flips[free]
            pick = int(np.argmax(open_flips))
            column = int(search.binaries[pick])
            for value in (values[pick], 1.0 - values[pick]):
                child_lower, child_upper = lower.copy(), upper.copy()
                child_lower[column] = child_upper[column] = value
                search.restrict(child_lower, child_upper)
                child = search.ascent(lam, CHILD_STEPS, deadline, CHILD_STEP0, CHILD_STEPS)
                nodes += 1
                child_bound = min(child.bound, -neg_bound)
                log.debug("node %d: %d = %g, bound %.8g after %d steps", nodes, column, value,
                          child_bound, child.steps)  # fmt: skip
                if child_bound <= search.threshold():
                    closed = max(closed, child_bound)
                else:
                    heapq.heappush(
                        heap, (-child_bound, next(order), child_lower, child_upper, child.lam)
                    )
    finally:
        search.restrict(top_lower, top_upper)
    open_bound = max((-item[0] for item in heap), default=-np.inf)
    best = -np.inf if search.best is None else search.best[0]
    bound = max(open_bound, closed, best)
    return min(bound, root.bound), nodes, not heap
