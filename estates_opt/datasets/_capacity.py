"""Make the status-quo estate able to serve demand: a small linear programme.

Sites whose floor area is synthetic (GP surgeries, NHS Choices-only hospitals,
council buildings) get the least extra floor area that lets the estate as it stands
(no disposals, no projects) serve every zone's demand for every service within
reach at utilisation ``U_max``; each site's extra is then raised by a seeded 10-40 %
margin so that the estate has slack to rationalise. Real ERIC floor areas are never
changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.spatial import cKDTree

from estates_opt.datasets._synthetic import rng_for
from estates_opt.instance import split_services


def arcs(
    sites: pd.DataFrame, zones: pd.DataFrame, services: dict[str, tuple[float, float]]
) -> pd.DataFrame:
    """(zone row, site row, service, distance) for every site hosting k within reach."""
    parts = []
    hosted = sites["services"].map(split_services)
    for k, (_, reach) in services.items():
        rows = np.flatnonzero(hosted.map(lambda svc, k=k: k in svc).to_numpy())
        if rows.size == 0:
            continue
        tree = cKDTree(sites[["x", "y"]].to_numpy()[rows])
        for z, found in enumerate(tree.query_ball_point(zones[["x", "y"]].to_numpy(), reach)):
            for j in found:
                parts.append((z, int(rows[j]), k))
    out = pd.DataFrame(parts, columns=["zone", "site", "service"])
    dx = zones["x"].to_numpy()[out["zone"]] - sites["x"].to_numpy()[out["site"]]
    dy = zones["y"].to_numpy()[out["zone"]] - sites["y"].to_numpy()[out["site"]]
    out["distance_m"] = np.hypot(dx, dy)
    return out


def top_up_capacity(
    sites: pd.DataFrame,
    zones: pd.DataFrame,
    services: dict[str, tuple[float, float]],
    flexible: np.ndarray,
    u_max: float,
) -> pd.Series:
    """New ``capacity_m2`` of every site (flexible ones raised where needed)."""
    a = arcs(sites, zones, services)
    demand_keys = [(z, k) for k in services for z in range(len(zones))]
    q = np.array([zones["population"].iat[z] * services[k][0] / 1000.0 for z, k in demand_keys])
    key_index = {key: i for i, key in enumerate(demand_keys)}
    row = np.array([key_index[(z, k)] for z, k in zip(a["zone"], a["service"], strict=True)])
    uncovered = sorted(set(range(len(demand_keys))) - set(row.tolist()))
    if uncovered:
        z, k = demand_keys[uncovered[0]]
        raise ValueError(f"zone {zones['zone_id'].iat[z]} has no site hosting {k} within reach")
    n_arcs, flex = len(a), np.flatnonzero(flexible)
    cols = np.arange(n_arcs)
    # Coverage: the share columns carry m2 served, so each (z, k) row sums to q.
    a_eq = coo_matrix((np.ones(n_arcs), (row, cols)), shape=(len(q), n_arcs + flex.size))
    # Capacity: served m2 at site s <= U * (cap_s + e_s).
    e_col = {s: n_arcs + i for i, s in enumerate(flex)}
    r = np.concatenate([a["site"].to_numpy(), flex])
    c = np.concatenate([cols, [e_col[s] for s in flex]])
    v = np.concatenate([np.ones(n_arcs), np.full(flex.size, -u_max)])
    a_ub = coo_matrix((v, (r, c)), shape=(len(sites), n_arcs + flex.size))
    b_ub = u_max * sites["capacity_m2"].to_numpy(float)
    cost = np.concatenate([1e-4 * a["distance_m"].to_numpy() / 1000.0, np.ones(flex.size)])
    res = linprog(cost, A_ub=a_ub.tocsr(), b_ub=b_ub, A_eq=a_eq.tocsr(), b_eq=q, method="highs")
    if res.status != 0:
        raise ValueError(f"status-quo capacity programme failed: {res.message}")
    extra = np.zeros(len(sites))
    extra[flex] = res.x[n_arcs:]
    margin = np.array([rng_for(k, "margin").uniform(0.1, 0.4) for k in sites["site_id"]])
    raised = np.where(extra > 1e-6, np.ceil(extra * (1.0 + margin) / 10.0) * 10.0, 0.0)
    return sites["capacity_m2"] + raised
