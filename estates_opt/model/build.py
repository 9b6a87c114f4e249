"""Instance -> :class:`ModelArrays`: every variable and constraint of MODEL.md sections 3-5.

Symbols (0-based periods ``t = 0..T-1`` inside the code, 1-based in MODEL.md):

========  ==============================================================
``d``     d[s, t] binary, dispose site s at the start of period t
``u``     u[p, t] binary, start project p in period t
``x``     x[z, s, k, t] in [0, 1], share of zone z's demand for k served at s
``w``     w[ab, t] in [0, 1], pair {a, b} sold together in period t
``q``     demand q[z, k, t] = pop_z (1 + g)^(t L) sigma_k / 1000 (m2)
``beta``  backlog spread backlog_s / T per period
``delta`` discount factor (1 + r)^(-t L)
========  ==============================================================

``open[s, t] = 1 - sum_{tau <= t} d[s, tau]`` and ``built[p, t] = sum_{tau <= t - b_p}
u[p, tau]`` are substituted, so every row is linear in d, u, x, w. Rows are assembled
as COO triplets, block by block, in one pass over numpy arrays: no Python object per
variable, so the London sample builds in well under a second.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from estates_opt.geo import hosted_services, marriage_pairs, reach_arcs, representative_xy
from estates_opt.instance import Instance, split_services
from estates_opt.model.arrays import FAMILY_CODE, Block, ModelArrays

__all__ = ["build_model"]


def _expand_from(first: np.ndarray, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """For each item i, the periods ``first[i] .. T-1``: returns (item, period) pairs."""
    lengths = np.clip(periods - first, 0, None)
    item = np.repeat(np.arange(len(first)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return item, np.repeat(first, lengths) + offsets


class _Rows:
    """Collects COO triplets and row bounds family by family."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.family: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []

    def new(self, family: str, lower: np.ndarray, upper: np.ndarray, keys: np.ndarray) -> int:
        """Open ``len(lower)`` rows of a family; returns the first row position."""
        first = self.count
        n = len(lower)
        self.count += n
        self.lower.append(np.asarray(lower, dtype=float))
        self.upper.append(np.asarray(upper, dtype=float))
        self.family.append(np.full(n, FAMILY_CODE[family], dtype=np.int8))
        keys = np.asarray(keys, dtype=np.int64).reshape(n, -1) if n else np.empty((0, 1))
        padded = np.full((n, 3), -1, dtype=np.int64)
        padded[:, : keys.shape[1]] = keys
        self.keys.append(padded)
        return first

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        keep = rows >= 0
        self.rows.append(rows[keep])
        self.cols.append(np.asarray(cols, dtype=np.int64)[keep])
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)[keep])

    def matrix(self, num_cols: int) -> sp.csr_array:
        if not self.rows:
            return sp.csr_array((self.count, num_cols))
        coo = sp.coo_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, num_cols),
        )
        csr = coo.tocsr()
        csr.sum_duplicates()
        csr.eliminate_zeros()
        return csr


def build_model(instance: Instance) -> ModelArrays:
    """The canonical MILP of MODEL.md sections 3-5 for a validated instance."""
    sc = instance.scenario
    sites, zones, projects = instance.sites, instance.zones, instance.projects
    T, L = sc.periods, sc.period_years
    services = list(sc.services.items())
    S, K, P = len(sites), len(services), len(projects)
    site_pos = {site_id: i for i, site_id in enumerate(sites["site_id"])}

    delta = np.asarray(sc.discount_factors)
    delta_tail = np.cumsum(delta[::-1])[::-1]  # sum_{t' >= t} delta_t'
    delta_tail = np.append(delta_tail, 0.0)
    growth = np.asarray(sc.growth_factors)
    pop = zones["population"].to_numpy(dtype=float)
    pop_t = pop[:, None] * growth[None, :]  # (Z, T)
    sigma = np.array([svc.space_per_1000 for _, svc in services], dtype=float)
    tau_k = np.array([svc.travel_cost_per_person_km for _, svc in services], dtype=float)
    demand = pop_t[:, None, :] * sigma[None, :, None] / 1000.0  # q (Z, K, T)

    capacity = sites["capacity_m2"].to_numpy(dtype=float)
    running = sites["running_cost"].to_numpy(dtype=float)
    beta = sites["backlog_cost"].to_numpy(dtype=float) / T
    value = sites["market_value"].to_numpy(dtype=float)
    homes = sites["housing_units"].to_numpy(dtype=float)
    disposable = sites["disposable"].to_numpy(dtype=bool)
    earliest = sites["earliest_disposal"].to_numpy(dtype=np.int64) - 1
    kept = sites["site_id"].isin(sc.keep).to_numpy()
    must_go = sites["site_id"].isin(sc.dispose).to_numpy()

    p_site = np.array([site_pos[s] for s in projects["site_id"]], dtype=np.int64)
    capex = projects["capex"].to_numpy(dtype=float)
    added = projects["added_capacity_m2"].to_numpy(dtype=float)
    delta_run = projects["running_cost_delta"].to_numpy(dtype=float)
    build_time = projects["build_periods"].to_numpy(dtype=np.int64)
    p_earliest = projects["earliest_start"].to_numpy(dtype=np.int64) - 1
    forbidden = projects["project_id"].isin(sc.forbid).to_numpy()
    must_build = projects["project_id"].isin(sc.build).to_numpy()
    k_pos = {name: k for k, (name, _) in enumerate(services)}
    p_services = [[k_pos[n] for n in split_services(text)] for text in projects["services"]]
    base, _ = hosted_services(instance)
    base_mask = np.array([[name in b for name, _ in services] for b in base], dtype=bool)
    base_mask = base_mask.reshape(S, K)
    c_hat = capacity + np.bincount(p_site, weights=added, minlength=S)

    # --- columns -------------------------------------------------------------------
    can_dispose = disposable & ~kept
    d_site, d_t = _expand_from(np.where(can_dispose, earliest, T), T)
    last_start = T - 1 - build_time
    u_first = np.where(forbidden, T, p_earliest)
    u_len = np.clip(last_start - u_first + 1, 0, None)
    u_proj = np.repeat(np.arange(P), u_len)
    u_t = np.repeat(u_first, u_len) + (
        np.arange(u_len.sum()) - np.repeat(np.cumsum(u_len) - u_len, u_len)
    )

    # earliest period in which service k can be offered at site s (T if never)
    ready = np.where(base_mask, 0, T)
    for p in np.flatnonzero(u_len > 0):
        for k in p_services[p]:
            ready[p_site[p], k] = min(ready[p_site[p], k], u_first[p] + build_time[p])
    arcs = reach_arcs(instance)
    a_zone = arcs["zone"].to_numpy()
    a_site = arcs["site"].to_numpy()
    a_k = arcs["service"].to_numpy()
    useful = (c_hat[a_site] > 0) & (demand[a_zone, a_k, :].max(axis=1) > 0) if len(arcs) else []
    arcs = arcs[np.asarray(useful, dtype=bool)].reset_index(drop=True)
    a_zone, a_site, a_k = (arcs[c].to_numpy() for c in ("zone", "site", "service"))
    x_arc, x_t = _expand_from(ready[a_site, a_k], T)
    q_x = demand[a_zone[x_arc], a_k[x_arc], x_t]
    x_arc, x_t, q_x = x_arc[q_x > 0], x_t[q_x > 0], q_x[q_x > 0]

    pairs = marriage_pairs(instance)
    pa, pb = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    both = can_dispose[pa] & can_dispose[pb]
    pairs = pairs[both].reset_index(drop=True)
    pa, pb = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    w_pair, w_t = _expand_from(np.maximum(earliest[pa], earliest[pb]), T)
    m_ab = sc.marriage_value_uplift * (value[pa] + value[pb])
    hb_ab = sc.marriage_housing_uplift * (homes[pa] + homes[pb])

    nd, nu, nx, nw = len(d_site), len(u_proj), len(x_arc), len(w_pair)
    d0, u0, x0, w0 = 0, nd, nd + nu, nd + nu + nx
    n = w0 + nw
    d_col = np.full((S, T), -1, dtype=np.int64)
    d_col[d_site, d_t] = d0 + np.arange(nd)
    u_col = np.full((max(P, 1), T), -1, dtype=np.int64)
    u_col[u_proj, u_t] = u0 + np.arange(nu)

    cost = np.zeros(n)
    cost[d0:u0] = (
        delta[d_t] * value[d_site] + (L * running[d_site] + beta[d_site]) * delta_tail[d_t]
    )
    cost[u0:x0] = (
        -delta[u_t] * capex[u_proj]
        - L * delta_run[u_proj] * delta_tail[np.minimum(u_t + build_time[u_proj], T)]
    )
    travel_cost = L * tau_k[a_k] * arcs["distance_m"].to_numpy(dtype=float) / 1000.0
    cost[x0:w0] = -delta[x_t] * travel_cost[x_arc] * pop_t[a_zone[x_arc], x_t]
    cost[w0:] = delta[w_t] * m_ab[w_pair]
    integer = np.zeros(n, dtype=bool)
    integer[d0:x0] = True

    rows = _Rows()
    x_cols = x0 + np.arange(nx)
    # 1. once
    sites_with_d = np.flatnonzero(can_dispose | must_go)
    first = rows.new(
        "once_site",
        np.where(must_go[sites_with_d], 1.0, 0.0),
        np.ones(len(sites_with_d)),
        sites_with_d,
    )
    site_row = np.full(S, -1)
    site_row[sites_with_d] = first + np.arange(len(sites_with_d))
    rows.add(site_row[d_site], d0 + np.arange(nd), 1.0)
    first = rows.new("once_project", np.where(must_build, 1.0, 0.0), np.ones(P), np.arange(P))
    rows.add(first + u_proj, u0 + np.arange(nu), 1.0)

    # 2. coverage for every (z, k, t) with q > 0
    zkt = np.argwhere(demand > 0)
    first = rows.new("coverage", np.ones(len(zkt)), np.ones(len(zkt)), zkt)
    cov_row = np.full(demand.shape, -1, dtype=np.int64)
    cov_row[zkt[:, 0], zkt[:, 1], zkt[:, 2]] = first + np.arange(len(zkt))
    rows.add(cov_row[a_zone[x_arc], a_k[x_arc], x_t], x_cols, 1.0)

    # 3. capacity and 4. utilisation floor, per (s, t)
    s_x = a_site[x_arc]
    d_items, d_periods = _expand_from(d_t, T)  # d[s, tau] counts in every t >= tau
    u_items, u_periods = _expand_from(np.minimum(u_t + build_time[u_proj], T), T)
    sites_with_x = np.unique(s_x)
    st = np.array([(s, t) for s in sites_with_x for t in range(T)], dtype=np.int64).reshape(-1, 2)
    u_max, u_min = sc.utilisation_max, sc.utilisation_min

    def load_minus_capacity(first: int, st: np.ndarray, share: float) -> None:
        """Entries of ``load[s, t] - share * cap[s, t]`` with the constant in the bound.

        ``cap[s, t] = capacity_s (1 - sum_{tau<=t} d[s, tau]) + sum_p added_p built[p, t]``,
        so d enters with ``+share capacity_s`` and u with ``-share added_p``.
        """
        row_of = np.full(S * T, -1, dtype=np.int64)
        row_of[st[:, 0] * T + st[:, 1]] = first + np.arange(len(st))
        rows.add(row_of[s_x * T + x_t], x_cols, q_x)
        s_d = d_site[d_items]
        rows.add(row_of[s_d * T + d_periods], d0 + d_items, share * capacity[s_d])
        p = u_proj[u_items]
        rows.add(row_of[p_site[p] * T + u_periods], u0 + u_items, -share * added[p])

    first = rows.new("capacity", np.full(len(st), -np.inf), u_max * capacity[st[:, 0]], st)
    load_minus_capacity(first, st, u_max)
    if u_min > 0:
        holds = np.flatnonzero(c_hat > 0)
        tf = sc.floor_period - 1
        st = np.array([(s, t) for s in holds for t in range(tf, T)], dtype=np.int64).reshape(-1, 2)
        first = rows.new(
            "utilisation_floor", u_min * capacity[st[:, 0]], np.full(len(st), np.inf), st
        )
        load_minus_capacity(first, st, u_min)

    # 5. service availability, per (s, k, t) with x columns. MODEL.md writes the
    # big-M as U_max * Chat_s; the load of (s, k, t) can never exceed the demand within
    # reach either, so M = min(U_max * Chat_s, reachable demand) gives the same integer
    # solutions and a much tighter LP relaxation for large sites in small catchments.
    skt_code = (s_x * K + a_k[x_arc]) * T + x_t
    codes, x_row = np.unique(skt_code, return_inverse=True)
    s_of, k_of, t_of = codes // (K * T), (codes // T) % K, codes % T
    reachable = np.bincount(x_row, weights=q_x, minlength=len(codes))
    big_m = np.minimum(u_max * c_hat[s_of], reachable)
    first = rows.new(
        "availability",
        np.full(len(codes), -np.inf),
        big_m * base_mask[s_of, k_of],
        np.column_stack([s_of, k_of, t_of]),
    )
    avail_row = np.full(S * K * T, -1, dtype=np.int64)
    avail_row[codes] = first + np.arange(len(codes))
    m_of = np.zeros(S * K * T)
    m_of[codes] = big_m
    rows.add(first + x_row, x_cols, q_x)
    for k in range(K):
        s_d = d_site[d_items]
        keep = base_mask[s_d, k]
        code = (s_d[keep] * K + k) * T + d_periods[keep]
        rows.add(avail_row[code], d0 + d_items[keep], m_of[code])
        # A project at a disposable site that already offers k adds nothing to its
        # availability: building it keeps the site (row 6), so avail = open there. The
        # integer plans are the same; the LP can no longer sell half a site and count
        # half a project on it as the other half of its service.
        offers = np.array([k in p_services[p] for p in range(P)], dtype=bool)
        offers &= ~(base_mask[p_site, k] & can_dispose[p_site]) if P else offers
        if P:
            keep = offers[u_proj[u_items]]
            s_u = p_site[u_proj[u_items[keep]]]
            code = (s_u * K + k) * T + u_periods[keep]
            rows.add(avail_row[code], u0 + u_items[keep], -m_of[code])

    # 6. no project on a disposed site
    on_disposable = np.flatnonzero(can_dispose[p_site] & (u_len > 0))
    first = rows.new(
        "project_site", np.zeros(len(on_disposable)), np.ones(len(on_disposable)), on_disposable
    )
    p_row = np.full(max(P, 1), -1)
    p_row[on_disposable] = first + np.arange(len(on_disposable))
    rows.add(p_row[u_proj], u0 + np.arange(nu), 1.0)
    # a site may carry several projects: one row per project, each with all of d[s, .]
    for p in on_disposable:
        cols = d_col[p_site[p]]
        cols = cols[cols >= 0]
        rows.add(np.full(len(cols), p_row[p]), cols, 1.0)

    # 7. exclusive groups
    groups = projects["exclusive_group"].astype(str)
    names = sorted(g for g, c in groups[groups != ""].value_counts().items() if c > 1)
    first = rows.new(
        "exclusive_group", np.zeros(len(names)), np.ones(len(names)), np.arange(len(names))
    )
    g_row = groups.map({g: first + i for i, g in enumerate(names)}).fillna(-1).to_numpy(np.int64)
    rows.add(g_row[u_proj], u0 + np.arange(nu), 1.0)

    # 8. marriage: w <= d_a and w <= d_b
    for end in (pa, pb):
        first = rows.new(
            "marriage", np.full(nw, -np.inf), np.zeros(nw), np.column_stack([w_pair, w_t])
        )
        rows.add(first + np.arange(nw), w0 + np.arange(nw), 1.0)
        rows.add(first + np.arange(nw), d_col[end[w_pair], w_t], -1.0)

    # 9. cumulative cash
    rho = sc.receipt_retention
    budget = np.cumsum(sc.budgets)
    first = rows.new(
        "cash", np.full(T, -np.inf), budget - np.arange(1, T + 1) * beta.sum(), np.arange(T)
    )
    u_c, u_cp = _expand_from(u_t, T)
    rows.add(first + u_cp, u0 + u_c, capex[u_proj[u_c]])
    rows.add(
        first + d_periods,
        d0 + d_items,
        -beta[d_site[d_items]] * (d_periods - d_t[d_items] + 1) - rho * value[d_site[d_items]],
    )
    w_c, w_cp = _expand_from(w_t, T)
    rows.add(first + w_cp, w0 + w_c, -rho * m_ab[w_pair[w_c]])

    # 10. receipts target and 11. housing targets
    if sc.receipts_target > 0:
        first = rows.new(
            "receipts_target", np.array([sc.receipts_target]), np.array([np.inf]), np.zeros(1, int)
        )
        rows.add(np.full(nd, first), d0 + np.arange(nd), value[d_site])
        rows.add(np.full(nw, first), w0 + np.arange(nw), m_ab[w_pair])
    if sc.housing_target > 0:
        first = rows.new(
            "housing_target", np.array([sc.housing_target]), np.array([np.inf]), np.zeros(1, int)
        )
        rows.add(np.full(nd, first), d0 + np.arange(nd), homes[d_site])
        rows.add(np.full(nw, first), w0 + np.arange(nw), hb_ab[w_pair])
    boroughs = tuple(sc.housing_by_borough)
    if boroughs:
        site_borough = sites["borough"].astype(str).map({b: i for i, b in enumerate(boroughs)})
        site_b = site_borough.fillna(-1).to_numpy(dtype=np.int64)
        first = rows.new(
            "housing_borough",
            np.array([sc.housing_by_borough[b] for b in boroughs]),
            np.full(len(boroughs), np.inf),
            np.arange(len(boroughs)),
        )
        b_row = np.where(site_b >= 0, first + site_b, -1)
        rows.add(b_row[d_site], d0 + np.arange(nd), homes[d_site])
        for end in (pa, pb):
            rows.add(b_row[end[w_pair]], w0 + np.arange(nw), hb_ab[w_pair] / 2.0)

    lower = np.zeros(n)
    upper = np.ones(n)
    return ModelArrays(
        cost=cost,
        lower=lower,
        upper=upper,
        integer=integer,
        matrix=rows.matrix(n),
        row_lower=np.concatenate(rows.lower),
        row_upper=np.concatenate(rows.upper),
        row_family=np.concatenate(rows.family),
        row_keys=np.vstack(rows.keys),
        blocks={
            "d": Block(d0, {"site": d_site, "period": d_t}),
            "u": Block(u0, {"project": u_proj, "period": u_t, "site": p_site[u_proj]}),
            "x": Block(x0, {"arc": x_arc, "period": x_t, "demand": q_x}),
            "w": Block(w0, {"pair": w_pair, "period": w_t}),
        },
        arcs=arcs,
        pairs=pairs,
        demand=demand,
        periods=T,
        service_names=tuple(name for name, _ in services),
        boroughs=boroughs,
        site_xy=representative_xy(sites.geometry),
    )
