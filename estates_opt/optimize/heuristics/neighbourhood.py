"""Plans from neighbourhoods of the LP relaxation and of the best plan so far.

The relaxation-induced neighbourhood (the idea of RINS, Danna, Rothberg and Le Pape
2005): solve the LP relaxation, fix binaries it already decides, and solve the much
smaller MIP over the rest; its plan is a plan of the whole model (only bounds were
tightened). Two uses:

- :func:`relaxation_start`, a first plan handed to any solver as a MIP start (every
  integral binary fixed; London: £1.76bn in about 70 s);
- :func:`neighbourhood_search`, run in a second thread beside HiGHS, which offers its
  plans through a :class:`~estates_opt.optimize.heuristics.exchange.PlanExchange` as it
  finds them: the LP's neighbourhood first, then small local steps around the best plan that re-plan
  one area's disposals and projects or move the timing of a share of them, over a
  reduced set of arcs (London: £1.775bn, then £1.778bn within about 70 s).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from estates_opt.backends.base import Backend, PlanSink, SolveOptions
from estates_opt.backends.engine import Engine
from estates_opt.errors import EstatesOptError
from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.heuristics.exchange import PlanExchange
from estates_opt.optimize.options import LOCAL_GAP, PART_GAP, with_gap
from estates_opt.optimize.run import run_backend
from estates_opt.optimize.scaling import scaled

__all__ = ["INTEGRAL", "neighbourhood_search", "relaxation_start"]

log = logging.getLogger(__name__)

INTEGRAL = 1e-6
"""A binary whose LP value lies this close to 0 or 1 counts as decided by the LP."""

SETTLED_SHARE = 1e-6
"""A binary the LP sets to 0 or 1 counts as *settled* when its reduced cost is at least
this share of the LP objective. A degenerate LP sets many binaries at no cost (on
London 1,412 binaries are integral in the LP, 1,204 of them settled): fixing every
integral one, as :func:`relaxation_start` does, gives £1.760bn at best where fixing
the settled ones gives £1.775bn (1e-8, 12 binaries fewer fixed, did no better over
300 s: £1.774bn)."""

TIMING_WINDOW = 1
"""Periods either side of a disposal or project that a timing step leaves free."""

TIMING_SHARE = 0.2
"""Share of the projects (drawn at random) whose start a timing step may move."""

AREA_SITES = 30
"""Sites (those that may be disposed of or carry a project) an area step re-plans."""

NEAREST_ARCS = 2
"""Arcs per zone and service the local steps keep open besides those the plan and the
LP use (and, in an area step, every arc to the area's sites)."""

LOCAL_SECONDS = 15.0
"""Time limit of each local step (most end sooner, proved optimal in their neighbourhood)."""

STALL_SECONDS = 20.0
"""The LP's neighbourhood ends once it has gone this long without a better plan."""


def relaxation_start(
    model: ModelArrays, backend: Backend, options: SolveOptions, *, seconds: float
) -> np.ndarray | None:
    """A feasible solution vector of ``model`` from its LP neighbourhood, or None.

    ``seconds`` bounds the LP and the neighbourhood MIP together. None when the LP has
    no solution, when no time is left for the MIP, or when the MIP finds no plan (the
    LP's decisions can exclude every plan; the solver then starts from nothing).
    """
    began = time.perf_counter()
    quiet = dataclasses.replace(options, progress=None, log=False)
    lp = run_backend(
        backend, model.relaxation(), dataclasses.replace(quiet, time_limit=seconds), None
    )
    if lp.solution is None:
        log.info("relaxation start: the LP relaxation has no solution (%s)", lp.status.value)
        return None
    rounded = np.round(lp.solution)
    decided = model.integer & (np.abs(lp.solution - rounded) <= INTEGRAL)
    left = seconds - (time.perf_counter() - began)
    if left < 1.0:
        return None
    neighbourhood = _fixed(model, decided, rounded)
    step = with_gap(dataclasses.replace(quiet, time_limit=left), at_least=PART_GAP)
    found = run_backend(backend, neighbourhood, step, None)
    outcome = "no plan" if found.objective is None else f"a plan worth {found.objective:.6g}"
    log.info(
        "relaxation start: the LP decided %d of %d binaries; %s in %.1f s",
        int(decided.sum()), model.num_integer, outcome, time.perf_counter() - began,
    )  # fmt: skip
    return found.solution


def neighbourhood_search(
    model: ModelArrays,
    backend: Backend,
    options: SolveOptions,
    exchange: PlanExchange,
    *,
    seconds: float,
) -> None:
    """Search neighbourhoods beside the main solve, offering each plan to ``exchange``.

    1. The LP's neighbourhood: solve the LP relaxation, fix the binaries it *settles*
       (0 or 1 at a reduced cost of at least :data:`SETTLED_SHARE` of its objective)
       and solve the MIP over the rest, for at most half of ``seconds`` and no longer
       than :data:`STALL_SECONDS` after its last better plan.
    2. Around the best plan so far, again and again, two kinds of step in turn
       (:class:`_LocalSteps`): an *area* step re-plans every disposal and project of
       :data:`AREA_SITES` neighbouring sites, a *timing* step moves each disposal and a
       random :data:`TIMING_SHARE` of the projects by up to :data:`TIMING_WINDOW`
       periods. Every other binary keeps the plan's value, and every arc that neither
       the plan nor the LP uses is closed unless it is among the :data:`NEAREST_ARCS`
       nearest of its zone and service or leads to the area: each MIP is a tenth of the
       model and most are proved optimal in seconds (:data:`LOCAL_SECONDS` at most).

    Every plan a MIP finds is offered as it is found. Ends after ``seconds`` or once
    ``exchange.stop`` is set; a solver failure ends the search with a warning (the main
    solve goes on without it).
    """
    began = time.perf_counter()
    relaxed = _relaxation_with_reduced_costs(model, seconds)
    if relaxed is None:
        return
    values, reduced, objective = relaxed
    rounded = np.round(values)
    settled = (
        model.integer
        & (np.abs(values - rounded) <= INTEGRAL)
        & (np.abs(reduced) >= SETTLED_SHARE * max(1.0, abs(objective)))
    )
    step = _Step(model, backend, options, exchange)
    step.run("the LP's", _fixed(model, settled, rounded), None, 0.5 * seconds, STALL_SECONDS)
    nearest = _nearest_arcs(model)
    for name, free, area in _LocalSteps(model, np.random.default_rng(options.seed)):
        left = seconds - (time.perf_counter() - began)
        best = exchange.best()
        if exchange.stop.is_set() or step.failed or best is None or left < 1.0:
            return
        plan = best[0]
        local = _fixed(model, model.integer & ~free(plan), plan)
        local.upper[_distant_arcs(model, nearest | area, plan, values)] = 0.0
        step.run(name, local, plan, min(left, LOCAL_SECONDS))


_Neighbourhood = tuple[str, Callable[[np.ndarray], np.ndarray], np.ndarray]
"""(name, free, area) of a local step; see :class:`_LocalSteps`."""


class _LocalSteps:
    """The neighbourhoods of the local steps, area and timing in turn, forever.

    Each item is (name, free, area): ``free(plan)`` is the mask of binaries the step
    may change around ``plan`` and ``area`` marks the arcs to the area's sites. Area
    seeds are drawn from the sites no area has covered yet, so a sweep visits every
    part of the estate before any is visited again. Without site coordinates
    (``model.site_xy`` None) there are only timing steps.
    """

    def __init__(self, model: ModelArrays, rng: np.random.Generator) -> None:
        self.model, self.rng = model, rng
        d, u = model.blocks["d"], model.blocks["u"]
        self.d_site, self.u_site = d.index["site"], u.index["site"]
        self.project = u.index["project"]
        self.projects = np.unique(self.project)
        self.movable = np.union1d(self.d_site, self.u_site)
        self.uncovered = self.movable
        self.arc_site = model.arcs["site"].to_numpy()
        self.no_arcs = np.zeros(len(self.arc_site), dtype=bool)

    def __iter__(self) -> Iterator[_Neighbourhood]:
        while True:
            if self.model.site_xy is not None and len(self.movable):
                yield self._area()
            yield "timing", self._timing, self.no_arcs

    def _area(self) -> _Neighbourhood:
        if not len(self.uncovered):
            self.uncovered = self.movable
        xy = self.model.site_xy
        assert xy is not None  # area steps run only on models built from an instance
        seed = self.rng.choice(self.uncovered)
        distance = np.hypot(*(xy[self.movable] - xy[seed]).T)
        sites = self.movable[np.argsort(distance, kind="stable")[:AREA_SITES]]
        self.uncovered = np.setdiff1d(self.uncovered, sites)
        free = np.zeros(self.model.num_cols, dtype=bool)
        free[self.model.blocks["d"].columns[np.isin(self.d_site, sites)]] = True
        free[self.model.blocks["u"].columns[np.isin(self.u_site, sites)]] = True
        return "area", lambda plan: free, np.isin(self.arc_site, sites)

    def _timing(self, plan: np.ndarray) -> np.ndarray:
        count = int(np.ceil(TIMING_SHARE * len(self.projects)))
        moving = self.rng.choice(self.projects, count, replace=False)
        free = _timing_window(self.model, plan, TIMING_WINDOW)
        free[self.model.blocks["u"].columns[~np.isin(self.project, moving)]] = False
        return free


def _fixed(model: ModelArrays, columns: np.ndarray, values: np.ndarray) -> ModelArrays:
    """The model with ``columns`` (a mask) fixed at ``values`` (new bound arrays)."""
    lower, upper = model.lower.copy(), model.upper.copy()
    lower[columns] = upper[columns] = values[columns]
    return dataclasses.replace(model, lower=lower, upper=upper)


class _Step:
    """One MIP over a neighbourhood (the model with tighter bounds), logged."""

    def __init__(
        self, model: ModelArrays, backend: Backend, options: SolveOptions, exchange: PlanExchange
    ) -> None:
        self.model, self.backend, self.exchange = model, backend, exchange
        self.failed = False
        self.options = dataclasses.replace(
            options, progress=None, log=False, incoming=None, mip_gap=LOCAL_GAP
        )

    def run(
        self,
        name: str,
        neighbourhood: ModelArrays,
        start: np.ndarray | None,
        seconds: float,
        stall: float | None = None,
    ) -> None:
        """Solve ``neighbourhood`` for at most ``seconds`` (and, given ``stall``, no
        longer than that after its last better plan), offering each plan it finds."""
        began = time.perf_counter()
        stop = _Stall(self.exchange.stop, stall)
        options = dataclasses.replace(
            self.options, time_limit=seconds, stop=stop, found=stop.offering(self.exchange)
        )
        try:
            result = run_backend(self.backend, neighbourhood, options, start)
        except EstatesOptError as err:
            log.warning("neighbourhood search stopped: %s", err)
            self.failed = True
            return
        if result.solution is not None:
            self.exchange.offer(result.solution)
        free = self.model.integer & (neighbourhood.lower < neighbourhood.upper)
        log.info(
            "neighbourhood search: %s neighbourhood, %d of %d binaries free: %s in %.1f s",
            name, int(free.sum()), self.model.num_integer,
            "no plan" if result.objective is None else f"a plan worth {result.objective:.6g}",
            time.perf_counter() - began,
        )  # fmt: skip


class _Stall:
    """A step's stop signal (:class:`~estates_opt.backends.base.StopSignal`): set when
    the search stops or, given ``seconds``, once the step has gone that long since its
    last better plan (HiGHS polls ``is_set``)."""

    def __init__(self, search_stop: threading.Event, seconds: float | None) -> None:
        self.search_stop, self.seconds = search_stop, seconds
        self.last_plan: float | None = None

    def offering(self, exchange: PlanExchange) -> PlanSink:
        """A ``found`` callback: offer the plan and note when it came."""

        def found(values: np.ndarray) -> None:
            self.last_plan = time.perf_counter()
            exchange.offer(values)

        return found

    def is_set(self) -> bool:
        stalled = (
            self.seconds is not None
            and self.last_plan is not None
            and time.perf_counter() - self.last_plan > self.seconds
        )
        return stalled or self.search_stop.is_set()


def _timing_window(model: ModelArrays, plan: np.ndarray, width: int) -> np.ndarray:
    """Columns of the disposals and projects ``plan`` makes, ``width`` periods either
    side of the period it makes them in."""
    window = np.zeros(model.num_cols, dtype=bool)
    for name, key in (("d", "site"), ("u", "project")):
        block = model.blocks[name]
        who, period = block.index[key], block.index["period"]
        made = block.values(plan) > 0.5
        when = np.full(who.max() + 1 if len(who) else 0, -np.inf)
        when[who[made]] = period[made]
        window[block.columns] = np.abs(period - when[who]) <= width
    return window


def _nearest_arcs(model: ModelArrays) -> np.ndarray:
    """Per arc: whether it is among the :data:`NEAREST_ARCS` nearest of its zone and
    service."""
    by_distance = model.arcs.groupby(["zone", "service"])["distance_m"]
    return by_distance.rank(method="first").to_numpy() <= NEAREST_ARCS


def _distant_arcs(model: ModelArrays, kept: np.ndarray, *solutions: np.ndarray) -> np.ndarray:
    """x columns of the arcs that are not ``kept`` (a mask over arcs) and that no
    solution uses."""
    block = model.blocks["x"]
    arc = block.index["arc"]
    keep = kept.copy()
    for solution in solutions:
        keep[arc[block.values(solution) > INTEGRAL]] = True
    return block.columns[~keep[arc]]


def _relaxation_with_reduced_costs(
    model: ModelArrays, seconds: float
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The LP optimum: column values, reduced costs and objective (money-scaled)."""
    solver_model, _ = scaled(model, report=False)
    run = Engine(solver_model.relaxation()).solve(float(seconds))
    if run.status != "optimal" or run.values is None or run.duals is None:
        return None
    assert run.objective is not None
    return run.values, run.duals, run.objective
