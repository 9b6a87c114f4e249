"""A first plan for the solver: solve each borough on its own, then join the plans.

Each part gets its population share of the targets and of the capital budget
(:meth:`Instance.subset`), so the union of feasible part plans is feasible for the
whole estate: every zone is served inside its own part, the cash rows add up period by
period, and the targets add up to the whole. The union is handed to the solver as a
MIP start, which matters on London-size estates where the solver's own heuristics
find a first plan late. A part that cannot plan alone (infeasible or out of time, such
as the City of London with its share of the targets) is joined to the next part in
order; if the last parts still cannot plan, the start is dropped (the solver then starts
from nothing).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from estates_opt.backends.base import Backend, SolveOptions
from estates_opt.errors import InputError
from estates_opt.instance import Instance
from estates_opt.model.arrays import ModelArrays
from estates_opt.model.build import build_model
from estates_opt.split import group_names

__all__ = ["partition_start"]

log = logging.getLogger(__name__)


def _part_decisions(
    part: Instance, backend: Backend, options: SolveOptions
) -> tuple[dict[str, int], dict[str, int]] | None:
    """(dispose period by site id, start period by project id) of a part, or None."""
    model = build_model(part)
    result = backend.solve(model, options)
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
        mip_gap=max(options.mip_gap, 1e-3),
        progress=None,
        log=False,
    )
    disposals: dict[str, int] = {}
    starts: dict[str, int] = {}
    pending: list[str] = []  # parts that could not plan alone ride with the next one
    for group in groups:
        names = [*pending, group]
        try:
            part = instance.subset(names, by=by)
        except InputError as err:
            log.info("warm start: part %s skipped (%s)", "+".join(names), err)
            pending = names
            continue
        found = _part_decisions(part, backend, part_options)
        if found is None:
            log.info("warm start: part %s has no plan alone; joined to the next", group)
            pending = names
            continue
        pending = []
        disposals |= found[0]
        starts |= found[1]
    if pending:
        log.info("warm start: parts %s have no plan; no start", "+".join(pending))
        return None
    fixed = _fix_binaries(instance, model, disposals, starts)
    lp = dataclasses.replace(fixed, integer=np.zeros_like(fixed.integer))
    result = backend.solve(lp, dataclasses.replace(options, progress=None, log=False))
    log.info(
        "warm start from %d parts in %.1f s: %s", len(groups), time.perf_counter() - began,
        "found" if result.solution is not None else "joined plan infeasible",
    )  # fmt: skip
    if result.solution is None:
        return None
    solution = result.solution.copy()
    solution[model.integer] = np.round(solution[model.integer])
    return solution


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
