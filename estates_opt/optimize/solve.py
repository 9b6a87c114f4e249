"""``solve(instance) -> Plan``: build the model, run a backend, read the plan back."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence

import numpy as np

from estates_opt.backends.base import (
    Backend,
    ProgressCallback,
    SolveOptions,
    SolverResult,
    get_backend,
)
from estates_opt.equity import equity_rules
from estates_opt.instance import Instance
from estates_opt.model.arrays import ModelArrays
from estates_opt.model.build import build_model
from estates_opt.model.rules import Rule, apply_rules
from estates_opt.model.size import check_fits
from estates_opt.optimize.certify import earned
from estates_opt.optimize.decomposition import solve_decomposed
from estates_opt.optimize.diagnose import diagnose
from estates_opt.optimize.extract import empty_plan, plan_from_solution
from estates_opt.optimize.heuristics.exchange import PlanExchange
from estates_opt.optimize.heuristics.neighbourhood import neighbourhood_search, relaxation_start
from estates_opt.optimize.heuristics.warmstart import partition_start
from estates_opt.optimize.options import DEFAULT_MIP_GAP, less_time, share
from estates_opt.optimize.run import run_backend
from estates_opt.optimize.separation import separated_links
from estates_opt.optimize.strengthen import with_rows, zone_cover_rows
from estates_opt.plan import Plan
from estates_opt.status import Status

LAGRANGIAN_MIN_ARCS = 50_000
"""The Lagrangian phase runs by default on models with at least this many x columns..."""

LAGRANGIAN_MAX_BINARIES = 500
"""...and at most this many binaries (beyond, each master solve costs seconds)."""

LAGRANGIAN_MIN_ROWS_PER_BINARY = 2.0
"""...and at least this many coverage rows per binary: many customers share each site,
so the relaxed coverage rows leave a tight bound and a small master (OR-Library
``capa``-``capc``: 10). TBED1 i300 (one zone per site, 90,000 arcs) is proved 1.5-2
times sooner by HiGHS on the whole model than through the phase (docs/decisions.md)."""

LARGE_MODEL_BINARIES = 1000
"""Beyond this many binaries the solve separates strong links and warm-starts by default."""

SEPARATION_SHARE = 0.1
"""Share of the time limit the strong-link separation may use..."""

SEPARATION_SECONDS = 30.0
"""...and its limit when the solve has none."""

SEARCH_SECONDS = 600.0
"""How long the neighbourhood search beside HiGHS may run when the solve has no limit."""

__all__ = ["solve"]

log = logging.getLogger(__name__)


def solve(
    instance: Instance,
    *,
    solver: str = "highs",
    mip_gap: float = DEFAULT_MIP_GAP,
    time_limit: float | None = None,
    threads: int | None = None,
    node_limit: int | None = None,
    log_solver: bool = False,
    rules: Sequence[Rule] = (),
    diagnose_infeasible: bool = True,
    on_progress: ProgressCallback | None = None,
    warm_start: bool | None = None,
    lagrangian: bool | None = None,
) -> Plan:
    """Optimise an instance (MODEL.md sections 3-5) and return the plan.

    Parameters
    ----------
    instance : the validated instance (not modified).
    solver : a name from :func:`estates_opt.available_solvers` (default ``"highs"``).
    mip_gap : relative optimality gap at which the solver may stop.
    time_limit : seconds from the call, the build included; a run stopped by it is
        ``feasible`` (with its gap) or ``no_solution``, never ``optimal``. An estate
        whose model could not fit in the memory available is refused before it is built
        (:class:`~estates_opt.InputError`, :mod:`estates_opt.model.size`).
    threads : solver threads (None: the solver's default).
    node_limit : stop the branch and bound after this many nodes (a stop that lands at
        the same point on any machine, unlike a time limit); such a run is ``feasible``
        or ``no_solution`` unless the gap is already proved.
    log_solver : echo the solver's own log.
    rules : custom rules (see :mod:`estates_opt.rules`) added as linear constraints; the
        scenario's ``[equity]`` caps are always added (:mod:`estates_opt.equity`).
    diagnose_infeasible : on infeasibility, re-solve an elastic model to measure shortfalls.
    warm_start : look for plans beyond the solver's own: with HiGHS (and ``threads``
        left to it), a neighbourhood search in a second thread that trades plans with
        the running solve (:mod:`~estates_opt.optimize.heuristics.neighbourhood`,
        :mod:`~estates_opt.optimize.heuristics.exchange`);
        otherwise, and before the Lagrangian phase, a first plan from the LP's
        neighbourhood, or failing that each borough solved alone
        (:mod:`estates_opt.optimize.heuristics.warmstart`), within a quarter of the time limit (60 s
        without one), as a MIP start. None (default) does so for estates with more
        than 1,000 binary decisions.
    lagrangian : run the Lagrangian phase of :mod:`estates_opt.optimize.decomposition` first (a
        bound, a plan and fixed decisions, then the solver on what is left); None
        (default) does so for models with at least 50,000 assignment columns, at most
        500 binaries and two coverage rows per binary (large location problems with many
        customers per site: OR-Library ``capa``-``capc``).
    on_progress : called with (incumbent NPV, best bound, gap) as the solver improves them
        (HiGHS only).

    Examples
    --------
    >>> import estates_opt as eo
    >>> plan = eo.solve(eo.load_sample("ncl_pilot"), time_limit=120)  # doctest: +SKIP
    """
    backend = get_backend(solver)
    options = SolveOptions(
        mip_gap=mip_gap,
        time_limit=time_limit,
        threads=threads,
        node_limit=node_limit,
        log=log_solver,
        progress=on_progress,
    )
    began = time.perf_counter()
    check_fits(instance)
    model = build_model(instance)
    apply_rules(model, instance, [*equity_rules(instance), *rules])
    timings = {"build_s": time.perf_counter() - began}
    log.info("model built in %.2f s: %s", timings["build_s"], model.describe())
    steps = _Steps(instance, model, backend, options, timings)
    result = steps.run(lagrangian=lagrangian, warm_start=warm_start)
    log.info("%s: %s after %.2f s", result.solver, result.status.value, result.solve_seconds)
    if result.status.has_solution:
        plan = earned(instance, plan_from_solution(instance, model, result, timings), mip_gap)
        if isinstance(plan, Plan):
            return plan
        log.error("%s", plan.message)
        result = dataclasses.replace(
            result, status=Status.NO_SOLUTION, solution=None, objective=None, bound=None,
            message=plan.message,
        )  # fmt: skip
    shortfalls = None
    if result.status is Status.INFEASIBLE and diagnose_infeasible:
        began = time.perf_counter()
        shortfalls = diagnose(instance, model, backend, options)
        timings["diagnose_s"] = time.perf_counter() - began
    return empty_plan(instance, result, timings, shortfalls)


class _Steps:
    """The solver's part of one solve, in order: strengthen the model, then either the
    search beside HiGHS, or a warm start, the Lagrangian phase and the backend. Each
    step's seconds go into ``timings`` and come off the time limit (the build's too)."""

    def __init__(
        self,
        instance: Instance,
        model: ModelArrays,
        backend: Backend,
        requested: SolveOptions,
        timings: dict[str, float],
    ) -> None:
        self.instance, self.model, self.backend = instance, model, backend
        self.requested, self.timings = requested, timings
        self.options = less_time(requested, timings["build_s"])

    def _timed(self, key: str, began: float) -> None:
        self.timings[key] = time.perf_counter() - began
        self.options = less_time(self.options, self.timings[key])

    def run(self, *, lagrangian: bool | None, warm_start: bool | None) -> SolverResult:
        """The backend's result for the model, by the route the options choose."""
        model, backend = self.model, self.backend
        decompose = bool(lagrangian) or (lagrangian is None and _worth_decomposing(model))
        began = time.perf_counter()
        solver_model = model if decompose else _strengthened(model, self.requested)
        if solver_model is not model:
            self._timed("strengthen_s", began)
        wanted = warm_start or (warm_start is None and model.num_integer > LARGE_MODEL_BINARIES)
        if wanted and not decompose and _can_search_beside(backend, self.options):
            beside, self.timings["search_s"] = _solve_beside_search(
                backend, solver_model, self.options
            )
            self.timings["solve_s"] = beside.solve_seconds
            return beside
        start = None
        if wanted:
            began = time.perf_counter()
            start = _warm_start(self.instance, model, solver_model, backend, self.options)
            self._timed("warm_start_s", began)
        phase = None
        if decompose:
            seconds = share(self.options, 0.9, default=120.0).time_limit
            assert seconds is not None
            phase = solve_decomposed(backend, model, self.options, start, seconds=seconds)
        result = phase or run_backend(backend, solver_model, self.options, start)
        self.timings["solve_s"] = result.solve_seconds
        return result


def _can_search_beside(backend: Backend, options: SolveOptions) -> bool:
    """Whether the neighbourhood search may run beside the solver: the backend trades
    plans while it runs (HiGHS), and the caller left the thread count to us (``threads=1``
    asks for one core; HiGHS's thread pool must not be reset while another thread solves).
    """
    return backend.capabilities.trades_plans and options.threads is None


def _warm_start(
    instance: Instance,
    model: ModelArrays,
    solver_model: ModelArrays,
    backend: Backend,
    options: SolveOptions,
) -> np.ndarray | None:
    """A MIP start within a quarter of the time limit (60 s without one): the LP
    neighbourhood's plan, or failing that each borough solved alone."""
    began = time.perf_counter()
    budget = share(options, 0.25, default=60.0).time_limit
    assert budget is not None
    start = relaxation_start(solver_model, backend, options, seconds=budget)
    left = budget - (time.perf_counter() - began)
    if start is None and left >= 1.0:
        start = partition_start(instance, model, backend, options, seconds=left)
    return start


def _solve_beside_search(
    backend: Backend, model: ModelArrays, options: SolveOptions
) -> tuple[SolverResult, float]:
    """HiGHS on the whole model while a second thread searches neighbourhoods
    (:func:`~estates_opt.optimize.heuristics.neighbourhood.neighbourhood_search`); plans go
    both ways through a :class:`~estates_opt.optimize.heuristics.exchange.PlanExchange` as
    they are found. Returns the result and the seconds the search ran."""
    exchange = PlanExchange(model)
    found, incoming = exchange.port()
    seconds = SEARCH_SECONDS if options.time_limit is None else options.time_limit
    ran = [0.0]

    def search() -> None:
        began = time.perf_counter()
        neighbourhood_search(model, backend, options, exchange, seconds=seconds)
        ran[0] = time.perf_counter() - began

    helper = threading.Thread(target=search, name="estates-opt search", daemon=True)
    helper.start()
    try:
        options = dataclasses.replace(options, found=found, incoming=incoming)
        result = run_backend(backend, model, options, None)
    finally:
        exchange.stop.set()
        helper.join()
    return exchange.improve(result), ran[0]


def _strengthened(model: ModelArrays, requested: SolveOptions) -> ModelArrays:
    """The solver's copy of the model: zone cover rows, and on large models the strong
    links the LP needs (on ``ncl_pilot`` they slow HiGHS down: 15 s against 11 s)."""
    covered = with_rows(model, zone_cover_rows(model))
    if model.num_integer <= LARGE_MODEL_BINARIES:
        return covered
    seconds = share(requested, SEPARATION_SHARE, default=SEPARATION_SECONDS).time_limit
    assert seconds is not None
    return with_rows(covered, separated_links(covered, seconds=seconds))


def _worth_decomposing(model: ModelArrays) -> bool:
    """Auto rule for the Lagrangian phase (see docs/decisions.md)."""
    binaries = model.num_integer
    return (
        0 < binaries <= LAGRANGIAN_MAX_BINARIES
        and model.blocks["x"].size >= LAGRANGIAN_MIN_ARCS
        and len(model.rows_of("coverage")) >= LAGRANGIAN_MIN_ROWS_PER_BINARY * binaries
    )
