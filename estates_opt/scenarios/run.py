"""Run a scenario set on ``dask.distributed``, with an on-disk JSON cache.

The base instance is scattered to the workers once; each task carries a variant's small
parameter dict and the solver options, applies the variant on the worker
(:func:`~estates_opt.scenarios.spec.apply_variant`) and solves it. A scenario that fails
(bad variation, solver error, lost worker) is reported in its row with status ``error``
and the error text; the others go on. Results are cached as JSON files named by a hash
of the instance content, the variant's parameters, the solver options and the package
and solver versions, so a rerun skips the scenarios already solved; an entry that fails
its check is solved again (:mod:`estates_opt.scenarios.cache`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estates_opt.instance import Instance
from estates_opt.model.rules import Rule
from estates_opt.optimize.options import DEFAULT_MIP_GAP
from estates_opt.optimize.solve import solve
from estates_opt.scenarios.cache import STATUS_ERROR, cache_key, cache_read, cache_write
from estates_opt.scenarios.cache import instance_hash as instance_hash
from estates_opt.scenarios.spec import ScenarioSet, Variant, apply_variant
from estates_opt.scenarios.variant_rules import (
    average_distance,
    fix_decisions,
    max_average_distance,
)

__all__ = [
    "KPI_COLUMNS",
    "PlanRecord",
    "SweepResult",
    "average_distance",
    "cached_solve",
    "instance_hash",
    "run_scenarios",
    "solve_many",
    "solve_variant",
]

log = logging.getLogger(__name__)

KPI_COLUMNS = (
    "receipts",
    "housing_units",
    "sites_disposed",
    "projects_built",
    "capex",
    "running_cost_saving_per_year",
    "backlog_avoided",
    "floor_area_released_m2",
    "marriage_pairs",
    "utilisation_before",
    "utilisation_after",
)
Progress = Callable[[int, int, Mapping[str, Any]], None]


@dataclass(frozen=True, eq=False)
class PlanRecord:
    """The decision tables of one solved scenario (MODEL.md section 6 columns).

    ``estates_opt.check(instance, record)`` accepts it like a :class:`~estates_opt.Plan`.
    """

    name: str
    status: str
    objective: float | None
    site_decisions: pd.DataFrame
    project_decisions: pd.DataFrame
    assignments: pd.DataFrame
    marriage_pairs: pd.DataFrame

    @classmethod
    def from_tables(
        cls, name: str, row: Mapping[str, Any], tables: Mapping[str, Any]
    ) -> PlanRecord:
        frames = {k: pd.DataFrame(v["data"], columns=v["columns"]) for k, v in tables.items()}
        for key, columns in (
            ("site_decisions", ["dispose_period"]),
            ("project_decisions", ["start_period", "ready_period"]),
        ):
            for column in columns:
                frames[key][column] = pd.array(frames[key][column], dtype="Int64")
        return cls(name, str(row["status"]), row.get("objective"), **frames)

    @property
    def disposals(self) -> dict[str, int]:
        """Disposed site id -> period."""
        sd = self.site_decisions
        chosen = sd[sd["decision"] == "dispose"]
        return dict(zip(chosen["site_id"], chosen["dispose_period"].astype(int), strict=True))

    @property
    def starts(self) -> dict[str, int]:
        """Started project id -> period."""
        pd_ = self.project_decisions
        chosen = pd_[pd_["start_period"].notna()]
        return dict(zip(chosen["project_id"], chosen["start_period"].astype(int), strict=True))


@dataclass(frozen=True, eq=False)
class SweepResult:
    """``table``: one row per scenario; ``plans``: name -> :class:`PlanRecord` on request."""

    table: pd.DataFrame
    plans: dict[str, PlanRecord] = field(default_factory=dict)


# -- one scenario ----------------------------------------------------------------------


def _table(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
    frame = frame.reindex(columns=list(columns))
    data = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return {"columns": list(columns), "data": _plain(data)}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def solve_variant(
    instance: Instance,
    params: Mapping[str, Any],
    *,
    solver: str = "highs",
    mip_gap: float = DEFAULT_MIP_GAP,
    time_limit: float | None = None,
    threads: int | None = 1,
) -> dict[str, Any]:
    """Apply one variant and solve it; never raises for a scenario's own failure.

    Returns ``{"row": {...}, "tables": {...} or None}``: the row holds ``status``
    (a :class:`~estates_opt.Status` value or ``"error"``), ``objective``, ``best_bound``,
    ``mip_gap``, ``solve_s``, ``error`` and the KPIs of :data:`KPI_COLUMNS` plus
    ``avg_distance_m`` (the worst period's population-weighted average distance);
    the tables hold the section 6 decision tables as JSON-able ``columns``/``data``.
    """
    began = time.perf_counter()
    row: dict[str, Any] = {
        "status": STATUS_ERROR,
        "objective": None,
        "best_bound": None,
        "mip_gap": None,
        "error": "",
    }
    try:
        varied = apply_variant(instance, params)
        rules: list[Rule] = []
        if "fix_decisions" in params:
            fix = params["fix_decisions"]
            rules.append(fix_decisions(fix.get("dispose", {}), fix.get("start", {})))
        if "max_avg_distance_m" in params:
            rules.append(max_average_distance(float(params["max_avg_distance_m"])))
        plan = solve(
            varied,
            solver=solver,
            mip_gap=mip_gap,
            time_limit=time_limit,
            threads=threads,
            rules=rules,
            diagnose_infeasible=False,
        )
    except Exception as err:  # a scenario's failure is data, not a crash of the sweep
        row["error"] = f"{type(err).__name__}: {err}".replace("\n", " ")
        row["solve_s"] = time.perf_counter() - began
        return {"row": row, "tables": None}
    row.update(
        status=plan.status.value,
        objective=plan.objective,
        best_bound=plan.best_bound,
        mip_gap=plan.mip_gap,
        solve_s=time.perf_counter() - began,
    )
    if not plan.status.has_solution:
        row["error"] = plan.message or f"no plan: {plan.status.value}"
        return {"row": row, "tables": None}
    for kpi in KPI_COLUMNS:
        row[kpi] = plan.kpis.get(kpi)
    distances = average_distance(varied, plan.assignments)
    row["avg_distance_m"] = float(np.nanmax(distances)) if np.isfinite(distances).any() else None
    tables = {
        "site_decisions": _table(
            plan.site_decisions,
            ["site_id", "decision", "dispose_period", "receipt", "housing_units"],
        ),
        "project_decisions": _table(
            plan.projects, ["project_id", "site_id", "start_period", "ready_period", "capex"]
        ),
        "assignments": _table(
            plan.assignments, ["zone_id", "site_id", "service", "period", "share", "distance_m"]
        ),
        "marriage_pairs": _table(
            plan.marriage_pairs, ["site_a", "site_b", "period", "value_uplift", "housing_uplift"]
        ),
    }
    return {"row": row, "tables": tables}


def cached_solve(
    instance: Instance,
    params: Mapping[str, Any],
    options: Mapping[str, Any],
    cache_dir: str | Path | None = None,
    inst_hash: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """:func:`solve_variant` in this process through the cache; returns (result, cached)."""
    cache = Path(cache_dir) if cache_dir is not None else None
    key = cache_key(inst_hash or instance_hash(instance), dict(params), dict(options))
    entry = cache_read(cache, key)
    if entry is not None:
        return entry, True
    result = solve_variant(instance, params, **options)
    cache_write(cache, key, result)
    return result, False


def _task(instance: Instance, params: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    return solve_variant(instance, params, **options)


# -- many scenarios on Dask ------------------------------------------------------------


@contextlib.contextmanager
def dask_client(
    client: Any = None, scheduler: str | None = None, n_workers: int | None = None
) -> Iterator[Any]:
    """The given client, a client of ``scheduler``, or a local cluster sized to the machine.

    Clients and clusters this function opens are closed on exit.
    """
    if client is not None:
        yield client
        return
    wanted = logging.getLogger("distributed").level  # estates-opt -q sets ERROR
    from distributed import Client, LocalCluster

    if wanted > logging.WARNING:  # importing distributed resets its loggers to INFO/WARNING
        for name in ("distributed", "distributed.client", "distributed.gc"):
            logging.getLogger(name).setLevel(wanted)

    if scheduler is not None:
        with Client(scheduler) as own:
            yield own
        return
    workers = n_workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=max(logging.WARNING, wanted),  # workers: ERROR under -q
        ) as cluster,
        Client(cluster) as own,
    ):
        yield own


def _row(variant: Variant, result: Mapping[str, Any], cached: bool) -> dict[str, Any]:
    params = {k: v for k, v in variant.params.items() if k not in ("fix_decisions",)}
    return {"scenario": variant.name, **params, **result["row"], "cached": cached}


def solve_many(
    jobs: Sequence[tuple[Instance, Mapping[str, Any]]],
    *,
    client: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    cache_dir: str | Path | None = None,
    options: Mapping[str, Any] | None = None,
    on_result: Callable[[int, dict[str, Any], bool], None] | None = None,
) -> list[tuple[dict[str, Any], bool]]:
    """Solve (instance, params) jobs on Dask through the cache; (result, cached) per job.

    Each distinct instance object is scattered once to every worker; ``on_result(i,
    result, cached)`` is called as each job finishes. No cluster is started when every
    job is cached.
    """
    options = dict(options or {})
    cache = Path(cache_dir) if cache_dir is not None else None
    hashes: dict[int, str] = {}
    keys = []
    for inst, params in jobs:
        if id(inst) not in hashes:
            hashes[id(inst)] = instance_hash(inst)
        keys.append(cache_key(hashes[id(inst)], dict(params), options))
    out: list[tuple[dict[str, Any], bool] | None] = [None] * len(jobs)
    for i, key in enumerate(keys):
        entry = cache_read(cache, key)
        if entry is not None:
            out[i] = (entry, True)
            if on_result is not None:
                on_result(i, entry, True)
    todo = [i for i, r in enumerate(out) if r is None]
    log.info("%d scenarios: %d cached, %d to solve", len(jobs), len(jobs) - len(todo), len(todo))
    if todo:
        with dask_client(client, scheduler, n_workers) as dask:
            from distributed import as_completed

            shared: dict[int, Any] = {}
            futures = {}
            for i in todo:
                inst, params = jobs[i]
                if id(inst) not in shared:
                    shared[id(inst)] = dask.scatter(inst, broadcast=True, hash=False)
                future = dask.submit(
                    _task,
                    shared[id(inst)],
                    dict(params),
                    options,
                    pure=False,
                    key=f"estates-scenario-{keys[i]}-{i}",
                )
                futures[future] = i
            for future in as_completed(futures):
                i = futures[future]
                try:
                    result = future.result()
                except Exception as err:  # lost worker, cancelled task
                    result = {
                        "row": {
                            "status": STATUS_ERROR,
                            "objective": None,
                            "error": f"{type(err).__name__}: {err}",
                        },
                        "tables": None,
                    }
                out[i] = (result, False)
                cache_write(cache, keys[i], result)
                if on_result is not None:
                    on_result(i, result, False)
    return [r for r in out if r is not None]


def run_scenarios(
    instance: Instance,
    scenarios: ScenarioSet | Iterable[Variant | Mapping[str, Any]],
    *,
    client: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    cache_dir: str | Path | None = None,
    plans: bool = False,
    solver: str = "highs",
    mip_gap: float = DEFAULT_MIP_GAP,
    time_limit: float | None = None,
    threads: int | None = 1,
    progress: Progress | None = None,
) -> SweepResult:
    """Solve every scenario of a set on Dask and return one row per scenario.

    Parameters
    ----------
    instance : the base instance (scattered once to every worker).
    scenarios : a :class:`ScenarioSet`, or variants / dicts ``{"name": ..., **params}``.
    client : an existing ``distributed.Client``; else ``scheduler`` (an address such as
        ``tcp://10.0.0.5:8786``); else a local cluster with ``n_workers`` processes
        (default: one per CPU), closed afterwards.
    cache_dir : folder of JSON cache entries (None: no cache); a rerun skips the
        scenarios found there.
    plans : also return each solved scenario's decision tables (:class:`PlanRecord`).
    solver, mip_gap, time_limit, threads : passed to :func:`estates_opt.optimize.solve` per scenario
        (``time_limit`` in seconds per scenario; a run it stops is ``feasible`` or
        ``no_solution`` in its row).
    progress : called as ``progress(done, total, row)`` after each scenario.

    Returns
    -------
    SweepResult
        ``table`` in the order of the set: ``scenario``, the parameters, ``status``,
        ``objective``, ``best_bound``, ``mip_gap``, ``error``, ``solve_s``, the KPIs and
        ``cached``; ``plans`` by scenario name when requested.

    Examples
    --------
    >>> # result = run_scenarios(inst, ScenarioSet.grid(housing_target=[0, 100, 200]))
    >>> # result.table[["scenario", "status", "objective", "housing_units"]]
    """
    if not isinstance(scenarios, ScenarioSet):
        scenarios = ScenarioSet.of(scenarios)
    variants = list(scenarios)
    options = {"solver": solver, "mip_gap": mip_gap, "time_limit": time_limit, "threads": threads}
    done = [0]

    def on_result(i: int, result: dict[str, Any], cached: bool) -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], len(variants), _row(variants[i], result, cached))

    results = solve_many(
        [(instance, v.params) for v in variants],
        client=client,
        scheduler=scheduler,
        n_workers=n_workers,
        cache_dir=cache_dir,
        options=options,
        on_result=on_result,
    )
    table = pd.DataFrame([_row(v, r, c) for v, (r, c) in zip(variants, results, strict=True)])
    records = {}
    if plans:
        for variant, (result, _) in zip(variants, results, strict=True):
            if result.get("tables"):
                records[variant.name] = PlanRecord.from_tables(
                    variant.name, result["row"], result["tables"]
                )
    return SweepResult(table=table, plans=records)
