"""Can the estate as it stands serve its demand? A small linear programme.

No floor area is ever added. Where the hosts of a service within reach of a zone
lack the room, the synthetic council buildings within reach (which are co-location
hosts anyway) may host that service too: the programme serves every zone's demand
at utilisation ``U_max`` with the fewest m2 moved into council buildings that do not
host the service yet, and each council building that takes some is marked as
hosting it. Demand that even then finds no room is returned as a shortfall per zone
and service (the builder then opens a synthetic community clinic at the zone).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.spatial import cKDTree

from estates_opt.instance import split_services


def arcs(
    sites: pd.DataFrame, zones: pd.DataFrame, services: dict[str, tuple[float, float]],
    hosts: pd.Series,
) -> pd.DataFrame:  # fmt: skip
    """(zone row, site row, service, distance) for every site in ``hosts[k]`` within reach."""
    parts = []
    for k, (_, reach) in services.items():
        rows = np.flatnonzero(hosts.map(lambda svc, k=k: k in svc).to_numpy())
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


def council_hosts(
    sites: pd.DataFrame,
    zones: pd.DataFrame,
    services: dict[str, tuple[float, float]],
    council: np.ndarray,
    u_max: float,
) -> tuple[pd.Series, pd.DataFrame]:
    """The ``services`` of every site, council buildings extended where room is short,
    and the demand that finds no room (``zone_id``, ``service``, ``short_m2``)."""
    today = sites["services"].map(split_services)
    every = pd.Series([tuple(services)] * len(sites), index=sites.index)
    a = arcs(sites, zones, services, every.where(council, today))
    a["new"] = [k not in today.iat[s] for s, k in zip(a["site"], a["service"], strict=True)]
    keys = [(z, k) for k in services for z in range(len(zones))]
    q = np.array([zones["population"].iat[z] * services[k][0] / 1000.0 for z, k in keys])
    index = {key: i for i, key in enumerate(keys)}
    row = np.array([index[(z, k)] for z, k in zip(a["zone"], a["service"], strict=True)])
    n, m = len(a), len(keys)
    # Columns: m2 served on each arc, then a shortfall per (zone, service).
    a_eq = coo_matrix(
        (np.ones(n + m), (np.concatenate([row, np.arange(m)]), np.arange(n + m))), shape=(m, n + m)
    )
    a_ub = coo_matrix((np.ones(n), (a["site"].to_numpy(), np.arange(n))), shape=(len(sites), n + m))
    b_ub = u_max * sites["capacity_m2"].fillna(0.0).to_numpy(float)
    cost = np.concatenate(
        [1e-6 * a["distance_m"].to_numpy() + np.where(a["new"], 1.0, 0.0), np.full(m, 1e4)]
    )
    res = linprog(cost, A_ub=a_ub.tocsr(), b_ub=b_ub, A_eq=a_eq.tocsr(), b_eq=q, method="highs")
    if res.status != 0:
        raise ValueError(f"status-quo capacity programme failed: {res.message}")
    short = res.x[n:]
    gaps = pd.DataFrame(
        [(zones["zone_id"].iat[keys[i][0]], keys[i][1], float(short[i]))
         for i in np.flatnonzero(short > 1e-3)],
        columns=["zone_id", "service", "short_m2"],
    )  # fmt: skip
    used = a[a["new"] & (res.x[:n] > 1e-6)]
    out = today.map(list)
    for s, k in sorted(set(zip(used["site"], used["service"], strict=True))):
        out.iat[s] = [*out.iat[s], k]
    order = [*services, *sorted({k for ks in out for k in ks} - set(services))]
    return out.map(lambda ks: ";".join(k for k in order if k in ks)), gaps
