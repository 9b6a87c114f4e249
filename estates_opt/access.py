"""Fair access: who gains and who loses access to each service under a plan.

For every service k, zone z and plan, two states are compared:

- **before** (the status quo): every zone is served by its *nearest site hosting the
  service today* (``k in Kbase_s``) within the service's reach ``R_k``; a zone with no
  such site is *beyond reach*. This ignores capacity on purpose: it is where residents
  would go today, not an optimised assignment.
- **after** (the plan's last period T): the plan's assignment, a zone's distance being
  the share-weighted distance of the sites serving it (``sum_s x[z, s, k, T] D[z, s]``);
  a zone with unserved demand (shares summing below one) counts as beyond reach for
  the missing share.

Distances are the model's ``D[z, s]`` (straight line, or ``travel.csv``). Groups (all
zones, each deprivation decile ``imd_decile``, each borough) report the population-
weighted average distance, the population-weighted 90th percentile (the smallest
distance within which at least 90 % of the group's residents are served: the lower
inverse of the weighted distribution, every zone's residents standing at their
distance, split by share after) and the share of residents beyond reach. Weights are
the zones' ``population``; demand growth is the same for every zone, so it changes no
average, percentile or share. ``population``, ``person_m_*`` (population x average) and
``beyond_reach_*`` (residents) are additive: the groups sum back to the total.

**2SFCA** (two-step floating catchment area, Luo and Wang 2003), per zone and service:
step 1 gives each site hosting k a supply-to-demand ratio
``R_s = cap_s / (sum_{z: D[z, s] <= R_k} pop_z / 1000)``; step 2 sums the ratios of the
sites within reach of the zone, ``A_z = sum_{s: D[z, s] <= R_k} R_s``. Supply is the
site's whole floor area ``cap_s`` (m2, not split between the services it hosts), the
catchment is the service's reach ``R_k`` with no distance decay, and population is that
of the period (period 1 before, period T after). The score reads as m2 of floor area
per 1,000 residents within reach, comparable with ``space_per_1000``. Before: sites
hosting k today with their ``capacity_m2``; after: sites where k is available in period
T (``avail[s, k, T] > 0``) with ``cap[s, T]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from estates_opt.errors import EstatesOptError
from estates_opt.geo import hosted_services, reach_arcs
from estates_opt.instance import Instance, split_services
from estates_opt.plan import Plan

__all__ = ["Access", "access", "status_quo_distance", "weighted_quantile"]

GROUPS = ("total", "imd_decile", "borough")
SHARE_TOL = 1e-6
"""Shares summing to within this of 1 count as fully served."""


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value whose cumulative weight reaches ``q`` of the total (NaN if none).

    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 8.0]), 0.9)
    3.0
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([5.0, 4.0, 1.0]), 0.9)
    2.0
    """
    keep = (weights > 0) & np.isfinite(values)
    values, weights = values[keep], weights[keep]
    if not len(values):
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    i = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12)))
    return float(values[order][min(i, len(values) - 1)])


def status_quo_distance(instance: Instance) -> np.ndarray:
    """(Z, K) distance (m) from each zone to its nearest site hosting k today within
    reach; NaN where there is none (the zone is beyond reach before)."""
    Z, K = len(instance.zones), len(instance.scenario.services)
    out = np.full((Z, K), np.nan)
    arcs = reach_arcs(instance)
    if arcs.empty:
        return out
    base, _ = hosted_services(instance)
    names = list(instance.scenario.services)
    today = np.array([names[k] in base[s] for s, k in zip(arcs["site"], arcs["service"],
                                                         strict=True)], dtype=bool)  # fmt: skip
    arcs = arcs[today]
    best = arcs.groupby(["zone", "service"])["distance_m"].min()
    zone, service = (best.index.get_level_values(i).to_numpy() for i in (0, 1))
    out[zone, service] = best.to_numpy()
    return out


def _plan_state(instance: Instance, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(S, K) availability of each service and (S,) floor area cap[s, T] in the last period."""
    sites, projects, sc = instance.sites, instance.projects, instance.scenario
    T, names = plan.periods, list(sc.services)
    position = {s: i for i, s in enumerate(sites["site_id"])}
    base, _ = hosted_services(instance)
    dispose = plan.sites.set_index("site_id")["dispose_period"].reindex(sites["site_id"])
    open_ = dispose.isna().to_numpy() | (dispose.fillna(T + 1).to_numpy(dtype=float) > T)
    avail = np.array([[n in b for n in names] for b in base], dtype=bool).reshape(-1, len(names))
    avail &= open_[:, None]
    cap = sites["capacity_m2"].to_numpy(dtype=float) * open_
    if len(plan.projects):
        ready = plan.projects.set_index("project_id")["ready_period"]
        for row in projects.itertuples(index=False):
            when = ready.get(row.project_id, pd.NA)
            if pd.isna(when) or int(when) > T:
                continue
            s = position[row.site_id]
            cap[s] += float(row.added_capacity_m2)
            for name in split_services(row.services):
                avail[s, names.index(name)] = True
    return avail, cap


def _two_step(
    arcs: pd.DataFrame, hosts: np.ndarray, cap: np.ndarray, pop: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """2SFCA score (Z, K) in m2 per 1,000 residents within reach."""
    z, s, k = (arcs[c].to_numpy() for c in ("zone", "site", "service"))
    keep = hosts[s, k]
    z, s, k = z[keep], s[keep], k[keep]
    S, K = hosts.shape
    demand = np.bincount(s * K + k, weights=pop[z], minlength=S * K) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, np.repeat(cap, K) / demand, 0.0)
    score = np.bincount(z * K + k, weights=ratio[s * K + k], minlength=shape[0] * shape[1])
    return score.reshape(shape)


@dataclass(frozen=True, eq=False)
class Access:
    """Access metrics of one plan.

    ``zones``: one row per zone and service: ``zone_id``, ``borough``, ``imd_decile`` (when
    the zones carry it), ``service``, ``population``, ``distance_before_m``,
    ``distance_after_m``, ``beyond_reach_before`` / ``_after`` (residents), ``access_before``,
    ``access_after`` and ``access_change`` (2SFCA, m2 per 1,000 residents).
    ``groups``: one row per (``group_by``, ``group``, ``service``) with ``group_by`` in
    ``total``, ``imd_decile``, ``borough``: ``population``, ``avg_before_m``,
    ``avg_after_m``, ``avg_change_m``, ``p90_before_m``, ``p90_after_m``,
    ``person_m_before`` / ``_after``, ``beyond_reach_before`` / ``_after`` (residents) and
    ``share_beyond_before`` / ``_after``.
    """

    zones: gpd.GeoDataFrame
    groups: pd.DataFrame

    def by(self, group_by: str) -> pd.DataFrame:
        """The rows of one breakdown (``total``, ``imd_decile`` or ``borough``)."""
        return self.groups[self.groups["group_by"] == group_by].reset_index(drop=True)


def access(instance: Instance, plan: Plan) -> Access:
    """Fair-access metrics of a plan: distances before / after by deprivation decile and
    borough, share beyond reach, and the 2SFCA score per zone (see the module docstring).

    Examples
    --------
    >>> acc = access(inst, eo.solve(inst))  # doctest: +SKIP
    >>> acc.by("imd_decile").query("service == 'primary_care'")  # doctest: +SKIP
    """
    if not plan.status.has_solution:
        raise EstatesOptError(f"the plan's status is {plan.status.value}: it has no decisions.")
    sc, zones, sites = instance.scenario, instance.zones, instance.sites
    names = list(sc.services)
    Z, K, T = len(zones), len(names), plan.periods
    pop = zones["population"].to_numpy(dtype=float)
    arcs = reach_arcs(instance)
    before = status_quo_distance(instance)

    # after: share-weighted distance in period T, from the model's distances
    zone_pos = pd.Series(np.arange(Z), index=zones["zone_id"].astype(str))
    site_pos = pd.Series(np.arange(len(sites)), index=sites["site_id"].astype(str))
    a = plan.assignments
    a = a[a["period"] == T]
    az = zone_pos.reindex(a["zone_id"].astype(str)).to_numpy()
    asite = site_pos.reindex(a["site_id"].astype(str)).to_numpy()
    ak = pd.Series(np.arange(K), index=names).reindex(a["service"].astype(str)).to_numpy()
    ok = ~(np.isnan(az) | np.isnan(asite) | np.isnan(ak))
    az, asite, ak = az[ok].astype(int), asite[ok].astype(int), ak[ok].astype(int)
    share = a["share"].to_numpy(dtype=float)[ok]
    distance = pd.Series(
        arcs["distance_m"].to_numpy(),
        index=(arcs["zone"] * len(sites) + arcs["site"]) * K + arcs["service"],
    )
    distance = distance[~distance.index.duplicated()]
    ad = distance.reindex((az * len(sites) + asite) * K + ak).to_numpy()
    cell = az * K + ak
    served = np.bincount(cell, weights=share, minlength=Z * K).reshape(Z, K)
    weighted = np.bincount(cell, weights=share * np.nan_to_num(ad), minlength=Z * K)
    with np.errstate(divide="ignore", invalid="ignore"):
        after = np.where(served > 0, weighted.reshape(Z, K) / served, np.nan)
    demanded = np.array([sc.services[n].space_per_1000 > 0 for n in names], dtype=bool)
    needs = demanded[None, :] & (pop > 0)[:, None]
    unserved = np.where(served < 1.0 - SHARE_TOL, np.clip(1.0 - served, 0.0, 1.0), 0.0)
    unserved_after = unserved * needs

    base, _ = hosted_services(instance)
    hosts_before = np.array([[n in b for n in names] for b in base], dtype=bool).reshape(-1, K)
    growth = sc.growth_factors
    acc_before = _two_step(
        arcs, hosts_before, sites["capacity_m2"].to_numpy(dtype=float), pop * growth[0], (Z, K)
    )
    avail, cap = _plan_state(instance, plan)
    acc_after = _two_step(arcs, avail, cap, pop * growth[T - 1], (Z, K))

    keep = [c for c in ("zone_id", "borough", "imd_decile") if c in zones.columns]
    rows = pd.DataFrame({c: np.repeat(zones[c].to_numpy(), K) for c in keep})
    rows["service"] = np.tile(names, Z)
    rows["population"] = np.repeat(pop, K)
    rows["distance_before_m"] = before.ravel()
    rows["distance_after_m"] = after.ravel()
    rows["distance_change_m"] = rows["distance_after_m"] - rows["distance_before_m"]
    rows["beyond_reach_before"] = (np.isnan(before) & needs).ravel() * rows["population"]
    rows["beyond_reach_after"] = unserved_after.ravel() * rows["population"]
    rows["access_before"] = acc_before.ravel()
    rows["access_after"] = acc_after.ravel()
    rows["access_change"] = rows["access_after"] - rows["access_before"]
    rows = rows[np.repeat(pop > 0, K) & np.tile(demanded, Z)]
    geometry = np.repeat(zones.geometry.to_numpy(), K)[rows.index]
    zone_table = gpd.GeoDataFrame(
        rows.reset_index(drop=True), geometry=list(geometry), crs=zones.crs
    )
    # after: each assignment row is a mass of residents at its own distance (for p90)
    mass = pd.DataFrame({"z": az, "k": ak, "d": ad, "w": pop[az] * share})
    return Access(zones=zone_table, groups=_groups(zone_table, mass, zones, names))


def _group_row(zones: pd.DataFrame, mass: pd.DataFrame) -> dict[str, float]:
    pop = zones["population"].to_numpy(dtype=float)
    before = zones["distance_before_m"].to_numpy(dtype=float)
    after = zones["distance_after_m"].to_numpy(dtype=float)
    has_before, has_after = np.isfinite(before), np.isfinite(after)
    total = float(pop.sum())
    person_before = float((pop * np.nan_to_num(before)).sum())
    person_after = float((pop * np.nan_to_num(after)).sum())
    w_before, w_after = float(pop[has_before].sum()), float(pop[has_after].sum())
    beyond_b = float(zones["beyond_reach_before"].sum())
    beyond_a = float(zones["beyond_reach_after"].sum())
    avg_b = person_before / w_before if w_before else float("nan")
    avg_a = person_after / w_after if w_after else float("nan")
    return {
        "population": total,
        "avg_before_m": avg_b,
        "avg_after_m": avg_a,
        "avg_change_m": avg_a - avg_b,
        "p90_before_m": weighted_quantile(before, pop, 0.9),
        "p90_after_m": weighted_quantile(
            mass["d"].to_numpy(dtype=float), mass["w"].to_numpy(dtype=float), 0.9
        ),
        "person_m_before": person_before,
        "person_m_after": person_after,
        "beyond_reach_before": beyond_b,
        "beyond_reach_after": beyond_a,
        "share_beyond_before": beyond_b / total if total else float("nan"),
        "share_beyond_after": beyond_a / total if total else float("nan"),
    }


def _sorted(column: pd.Series) -> list[object]:
    """Distinct non-blank values, in numeric order when they are all numbers."""
    values = [v for v in column.dropna().unique() if str(v).strip() != ""]
    numeric = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    if numeric.notna().all():
        return [values[i] for i in np.argsort(numeric.to_numpy(dtype=float), kind="stable")]
    return sorted(values, key=str)


def _label(key: object) -> str:
    """Group label: a whole-number decile as ``"3"``, anything else as its text."""
    if isinstance(key, float | np.floating) and float(key).is_integer():
        return str(int(key))
    return str(key)


def _groups(
    table: pd.DataFrame, mass: pd.DataFrame, zones: pd.DataFrame, names: list[str]
) -> pd.DataFrame:
    zone_pos = pd.Series(np.arange(len(zones)), index=zones["zone_id"].to_numpy())
    rows = []
    for group_by in GROUPS:
        if group_by != "total" and group_by not in table.columns:
            continue
        for k, service in enumerate(names):
            part = table[table["service"] == service]
            part_mass = mass[mass["k"] == k]
            keys = ["all"] if group_by == "total" else _sorted(part[group_by])
            for key in keys:
                mine = part if group_by == "total" else part[part[group_by] == key]
                zone_ids = zone_pos.reindex(mine["zone_id"].to_numpy()).to_numpy()
                their = part_mass[part_mass["z"].isin(zone_ids)]
                row = {"group_by": group_by, "group": _label(key), "service": service}
                rows.append(row | _group_row(mine, their))
    return pd.DataFrame(rows)
