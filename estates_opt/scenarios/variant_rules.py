"""Custom rules the scenario commands add to a solve (frontiers and uncertainty).

``max_avg_distance_m`` caps the population-weighted average travel distance;
``fix_decisions`` fixes every disposal and project start (the base plan's regret).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from estates_opt.instance import Instance
from estates_opt.model.build import build_model
from estates_opt.model.rules import Constraint, Decisions, Expr, Rule

__all__ = ["average_distance", "fix_decisions", "max_average_distance"]


def average_distance(instance: Instance, assignments: pd.DataFrame) -> np.ndarray:
    """Population-weighted average travel distance (m) per period of a plan.

    Each (zone, service) is weighted by its demand ``pop_{z,t} * sigma_k`` (so within a
    service the weight is the population), and its distance is the share-weighted
    distance of the sites serving it.
    """
    sc = instance.scenario
    periods = sc.periods
    if assignments.empty:
        return np.full(periods, np.nan)
    pop = dict(
        zip(instance.zones["zone_id"], instance.zones["population"].astype(float), strict=True)
    )
    sigma = {k: s.space_per_1000 for k, s in sc.services.items()}
    growth = np.asarray(sc.growth_factors)
    a = assignments
    weight = (
        a["zone_id"].map(pop).to_numpy()
        * a["service"].map(sigma).to_numpy()
        * growth[a["period"].to_numpy() - 1]
        * a["share"].to_numpy()
    )
    dist = a["distance_m"].to_numpy() if "distance_m" in a else np.zeros(len(a))
    out = np.full(periods, np.nan)
    for t in range(1, periods + 1):
        mask = a["period"].to_numpy() == t
        if weight[mask].sum() > 0:
            out[t - 1] = float((weight[mask] * dist[mask]).sum() / weight[mask].sum())
    return out


def max_average_distance(limit_m: float) -> Rule:
    """Population-weighted average travel distance <= ``limit_m`` in every period."""

    def max_average_distance(v: Decisions) -> Iterator[Constraint]:
        # Decisions has no accessor for the x block: rebuild the (deterministic) model
        # to read its column layout; the rule's rows are appended after the base rows.
        model = build_model(v.instance)
        x = model.blocks["x"]
        dist = model.arcs["distance_m"].to_numpy()[x.index["arc"]]
        demand = x.index["demand"]
        period = x.index["period"]
        columns = x.columns
        for t in range(model.periods):
            mask = (period == t) & (demand > 0)
            if not mask.any():
                continue
            # sum q x (D - limit) <= 0, scaled by the mean demand to keep numbers small
            weights = demand[mask] * (dist[mask] - limit_m) / demand[mask].mean()
            expr = Expr(dict(zip(columns[mask].tolist(), weights.tolist(), strict=True)))
            yield (expr <= 0.0).named(f"average distance period {t + 1}")

    return max_average_distance


def fix_decisions(dispose: Mapping[str, int], start: Mapping[str, int]) -> Rule:
    """Fix every disposal and project start: ``{id: period}``, 0 for never."""

    def fix_decisions(v: Decisions) -> Iterator[Constraint]:
        for site, period in dispose.items():
            if int(period) == 0:
                yield (v.dispose(site) == 0.0).named(f"retain {site}")
            else:
                yield (v.dispose(site, int(period)) == 1.0).named(f"dispose {site} in {period}")
        for project, period in start.items():
            if int(period) == 0:
                yield (v.start(project) == 0.0).named(f"do not build {project}")
            else:
                yield (v.start(project, int(period)) == 1.0).named(f"start {project} in {period}")

    return fix_decisions
