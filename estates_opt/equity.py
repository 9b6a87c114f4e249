"""The ``[equity]`` table of ``scenario.toml`` as custom rules (see ``docs/equity.md``).

Two fairness caps, each per service k (every service with ``space_per_1000 > 0``, or
those listed in ``[equity] services``) and per capped period t (the last period T, or
every period with ``every_period = true``)::

    sum_{z in G} w_z sum_s D[z, s] x[z, s, k, t]  <=  before_{G,k} + cap

- G is a group of zones: the most deprived zones (``imd_decile`` in ``deprived_deciles``,
  1-2 by default; cap ``deprived_max_increase_m``), or the zones of one borough (cap
  ``borough_max_increase_m``, one row per borough).
- ``w_z = pop_z / sum_{z in G} pop_z`` over the zones of G with residents and with a site
  hosting k today within reach, so the left side is G's population-weighted average
  distance to k in period t and ``before_{G,k} = sum_z w_z D_sq[z, k]`` is the same
  average in the status quo (each zone at its nearest site hosting k today within reach,
  :func:`estates_opt.access.status_quo_distance`). Zones beyond reach today are left out
  of both sides: they can only gain.

The status quo ignores capacity, so a cap of 0 m can be infeasible even for doing
nothing; a diagnosis then reports how far each cap is missed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from estates_opt.access import status_quo_distance
from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance
from estates_opt.model.rules import Constraint, Decisions, Rule

__all__ = ["EquityGroup", "equity_groups", "equity_rules"]

EquityGroup = tuple[str, str, dict[str, float], float, float]
"""(label, service, {zone_id: weight}, status-quo average m, cap m)."""


def equity_groups(instance: Instance) -> list[EquityGroup]:
    """Every capped (group, service) of the ``[equity]`` table with weights and baseline."""
    sc, zones = instance.scenario, instance.zones
    if not sc.equity_on:
        return []
    names = list(sc.services)
    services = list(sc.equity_services) or [n for n in names if sc.services[n].space_per_1000 > 0]
    before = status_quo_distance(instance)
    pop = zones["population"].to_numpy(dtype=float)
    zone_ids = zones["zone_id"].astype(str).to_numpy()
    groups: list[tuple[str, np.ndarray, float]] = []
    if sc.equity_deprived_max_increase_m is not None:
        if "imd_decile" not in zones.columns:
            raise InputError(
                Problem(
                    "zones.csv",
                    "expected an imd_decile column (1 = most deprived) for "
                    "[equity] deprived_max_increase_m, got none.",
                    column="imd_decile",
                )
            )
        decile = pd.to_numeric(zones["imd_decile"], errors="coerce").to_numpy(dtype=float)
        members = np.isin(decile, list(sc.equity_deprived_deciles))
        deciles = "-".join(str(d) for d in sc.equity_deprived_deciles)
        groups.append((f"deciles {deciles}", members, sc.equity_deprived_max_increase_m))
    if sc.equity_borough_max_increase_m is not None:
        borough = zones["borough"].astype(str).to_numpy()
        for b in sorted(set(borough)):
            groups.append((f"borough {b}", borough == b, sc.equity_borough_max_increase_m))
    out: list[EquityGroup] = []
    for label, members, cap in groups:
        for service in services:
            k = names.index(service)
            inside = members & (pop > 0) & np.isfinite(before[:, k])
            if not inside.any():
                continue
            weight = pop[inside] / pop[inside].sum()
            baseline = float(weight @ before[inside, k])
            weights = dict(zip(zone_ids[inside].tolist(), weight.tolist(), strict=True))
            out.append((label, service, weights, baseline, float(cap)))
    return out


def equity_rules(instance: Instance) -> list[Rule]:
    """The scenario's ``[equity]`` caps as custom rules (an empty list when switched off).

    Examples
    --------
    ``solve`` and ``alternatives`` add these rules themselves; do not pass them again.

    >>> inst = inst.with_scenario(equity_deprived_max_increase_m=250.0)  # doctest: +SKIP
    >>> plan = eo.solve(inst)  # the caps are in the model  # doctest: +SKIP
    """
    groups = equity_groups(instance)
    if not groups:
        return []
    sc = instance.scenario
    periods = list(range(1, sc.periods + 1)) if sc.equity_every_period else [sc.periods]

    def equity_caps(v: Decisions) -> Iterator[Constraint]:
        for label, service, weights, baseline, cap in groups:
            for t in periods:
                average = v.travel(weights, service, t)
                yield (average <= baseline + cap).named(f"{label} {service} period {t}")

    return [equity_caps]
