"""A first plan for the solver: solve each borough on its own, then join the plans.

Each part gets its population share of the targets (:meth:`Instance.subset`) and its
share of the estate's backlog as its share of the capital budget (the upkeep of kept
sites is what the budget pays first), so the union of feasible part plans is feasible
for the whole estate: every zone is served inside its own part, the cash rows add up
period by period, and the targets add up to the whole. The union is handed to the solver as a
MIP start, which matters on London-size estates where the solver's own heuristics
find a first plan late. A part that cannot plan alone (infeasible or out of time, such
as the City of London, whose residents are served from its neighbours) is solved again
together with the nearest part that could (by population-weighted centre); if even that
fails, the start is dropped (the solver then starts from nothing).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pandas as pd

from estates_opt.backends.base import Backend, SolveOptions
from estates_opt.errors import InputError
from estates_opt.instance import Instance, group_names
from estates_opt.model.arrays import ModelArrays
from estates_opt.model.build import build_model
from estates_opt.optimize.options import PART_GAP, with_gap
from estates_opt.optimize.run import run_backend

__all__ = ["partition_start"]

log = logging.getLogger(__name__)


def _part_decisions(
    part: Instance, backend: Backend, options: SolveOptions
) -> tuple[dict[str, int], dict[str, int]] | None:
    """(dispose period by site id, start period by project id) of a part, or None."""
    model = build_model(part)
    result = run_backend(backend, model, options, None)
    if result.solution is None:
        return None
    d, u = model.blocks["d"], model.blocks["u"]
    site_ids = part.sites["site_id"].to_numpy()
    project_ids = part.projects["project_id"].to_numpy()
    chosen = d.values(result.solution) > 0.5
    disposals = dict(
        zip(site_ids[d.index["site"][chosen]], d.index["period"][chosen] + 1, strict=True)
    )
    chosen = u.values(result.solution) > 0.5
    starts = dict(
        zip(project_ids[u.index["project"][chosen]], u.index["period"][chosen] + 1, strict=True)
    )
    return disposals, starts


def partition_start(
    instance: Instance,
    model: ModelArrays,
    backend: Backend,
    options: SolveOptions,
    *,
    by: str = "borough",
    seconds: float = 60.0,
) -> np.ndarray | None:
    """A feasible solution vector of ``model`` from per-part solves, or None."""
    began = time.perf_counter()
    groups = group_names(instance, by)
    if len(groups) < 2:
        return None
    part_options = dataclasses.replace(
        options,
        time_limit=max(1.0, seconds / len(groups)),
        mip_gap=with_gap(options, at_least=PART_GAP).mip_gap,
        progress=None,
        log=False,
    )
    plans: dict[tuple[str, ...], tuple[dict[str, int], dict[str, int]]] = {}
    alone: list[str] = []  # parts that cannot plan alone: joined to their nearest part
    for group in groups:
        found = _solve_part(instance, (group,), by, backend, part_options)
        if found is None:
            alone.append(group)
        else:
            plans[(group,)] = found
    centre = _centres(instance, by)
    for group in alone:
        if not plans:
            break
        near = min(plans, key=lambda key: _distance(centre, group, key))
        found = _solve_part(instance, (*near, group), by, backend, part_options)
        log.info("warm start: part %s has no plan alone; with %s: %s", group, "+".join(near),
                 "found" if found else "none")  # fmt: skip
        if found is None:
            return None
        del plans[near]
        plans[(*near, group)] = found
    if not plans:
        return None
    disposals = {k: v for found, _ in plans.values() for k, v in found.items()}
    starts = {k: v for _, found in plans.values() for k, v in found.items()}
    fixed = _fix_binaries(instance, model, disposals, starts)
    lp = fixed.relaxation()
    result = run_backend(backend, lp, dataclasses.replace(options, progress=None, log=False), None)
    log.info(
        "warm start from %d parts in %.1f s: %s", len(groups), time.perf_counter() - began,
        "found" if result.solution is not None else "joined plan infeasible",
    )  # fmt: skip
    if result.solution is None:
        return None
    solution = result.solution.copy()
    solution[model.integer] = np.round(solution[model.integer])
    return solution


def _solve_part(
    instance: Instance,
    names: tuple[str, ...],
    by: str,
    backend: Backend,
    options: SolveOptions,
) -> tuple[dict[str, int], dict[str, int]] | None:
    try:
        part = _part(instance, list(names), by)
    except InputError as err:
        log.info("warm start: part %s skipped (%s)", "+".join(names), err)
        return None
    return _part_decisions(part, backend, options)


def _centres(instance: Instance, by: str) -> pd.DataFrame:
    """Population-weighted centre (columns x, y) of each part's zones (NaN if empty)."""
    zones = instance.zones
    point = zones.geometry.representative_point()
    population = zones["population"]
    sums = (
        pd.DataFrame(
            {"x": point.x * population, "y": point.y * population, "population": population}
        )
        .groupby(zones[by].astype(str).to_numpy())
        .sum()
    )
    return sums[["x", "y"]].div(sums["population"].where(sums["population"] > 0), axis=0)


def _distance(centre: pd.DataFrame, group: str, key: tuple[str, ...]) -> float:
    """Distance from a part's centre to the nearest centre of the parts in ``key``."""
    if group not in centre.index:
        return 0.0
    here = centre.loc[group, ["x", "y"]].to_numpy(dtype=float)
    there = centre.loc[[k for k in key if k in centre.index], ["x", "y"]].to_numpy(dtype=float)
    found = np.hypot(*(there - here).T) if len(there) else np.array([np.inf])
    return float(np.nan_to_num(found, nan=np.inf).min())


def _part(instance: Instance, names: list[str], by: str) -> Instance:
    """The part with its population share of the targets and its backlog share of the
    capital budget: every part pays for the upkeep of its own sites, and the shares
    still add up to the whole budget in every period."""
    part = instance.subset(names, by=by, share_budget=False)
    backlog = float(instance.sites["backlog_cost"].sum())
    if backlog <= 0:
        return instance.subset(names, by=by)
    share = float(part.sites["backlog_cost"].sum()) / backlog
    return part.with_scenario(capital_budget=tuple(b * share for b in instance.scenario.budgets))


def _fix_binaries(
    instance: Instance, model: ModelArrays, disposals: dict[str, int], starts: dict[str, int]
) -> ModelArrays:
    """The model with every d and u column fixed to the joined part plans."""
    lower, upper = model.lower.copy(), model.upper.copy()
    d, u = model.blocks["d"], model.blocks["u"]
    site_ids = instance.sites["site_id"].to_numpy()
    project_ids = instance.projects["project_id"].to_numpy()
    d_value = np.array(
        [disposals.get(s, 0) == t + 1
         for s, t in zip(site_ids[d.index["site"]], d.index["period"], strict=True)],
        dtype=float,
    )  # fmt: skip
    u_value = np.array(
        [starts.get(p, 0) == t + 1
         for p, t in zip(project_ids[u.index["project"]], u.index["period"], strict=True)],
        dtype=float,
    )  # fmt: skip
    for block, value in ((d, d_value), (u, u_value)):
        lower[block.columns] = value
        upper[block.columns] = value
    return dataclasses.replace(model, lower=lower, upper=upper)
