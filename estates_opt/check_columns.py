"""The reported columns of a plan and its fairness caps, re-checked for
:func:`estates_opt.check.check`: every figure a plan file shows (receipts, homes,
utilisation, capex, ready periods) must be what its decisions give, and the
``[equity]`` caps must hold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from estates_opt.check_state import Decisions, State, status_quo_distance
from estates_opt.check_terms import Estate, Findings, ids, numbers, over
from estates_opt.instance import Instance

__all__ = ["check_columns", "check_equity"]


def check_columns(
    est: Estate, dec: Decisions, state: State, tables: Any, found: Findings, tol: float
) -> None:
    """Section 6 columns that restate inputs or decisions must agree with them."""

    def compare(frame: pd.DataFrame, table: str, column: str, want: Any, **at: Any) -> None:
        if column in frame.columns:
            got = numbers(frame[column])
            with np.errstate(invalid="ignore"):
                close = np.abs(got - want) <= tol * np.maximum(1.0, np.abs(want))
            bad = ~(close | (np.isnan(got) & np.isnan(want)))
            off = np.nan_to_num(np.abs(got - want), nan=1.0)
            found.each(
                f"6 {table} {column}", bad, off, "reads {:g}, expected {:g}", got, want, **at
            )

    sd = tables.site_decisions
    s = est.site_ids.get_indexer(ids(sd["site_id"]))
    sd, s = sd[s >= 0], s[s >= 0]
    sold, at = dec.d[s] > 0, {"site": est.site_ids.to_numpy()[s]}
    if "decision" in sd.columns:
        said = ids(sd["decision"])
        bad = said != np.where(sold, "dispose", "retain")
        message = "reads '{}' with dispose_period {} (0 = blank)"
        found.each("6 site_decisions decision", bad, 1.0, message, said, dec.d[s], **at)
    for column, source in (("receipt", "market_value"), ("housing_units", "housing_units")):
        want = np.where(sold, est.sites[source].to_numpy()[s], 0.0)
        compare(sd, "site_decisions", column, want, **at)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(state.cap > 0, state.load / state.cap, np.nan)
    for t in range(est.periods):
        compare(sd, "site_decisions", f"utilisation_p{t + 1}", util[s, t], **at)

    pdec, proj = tables.project_decisions, est.projects
    p = est.project_ids.get_indexer(ids(pdec["project_id"]))
    pdec, p = pdec[p >= 0], p[p >= 0]
    go, at = dec.u[p] > 0, {"project": est.project_ids.to_numpy()[p]}
    ready = np.where(go, dec.u[p] + proj["build_periods"].to_numpy()[p], np.nan)
    compare(pdec, "project_decisions", "ready_period", ready, **at)
    compare(
        pdec, "project_decisions", "capex", np.where(go, proj["capex"].to_numpy()[p], 0.0), **at
    )
    if "site_id" in pdec.columns:
        named, home = ids(pdec["site_id"]), est.site_ids.to_numpy()[proj["psite"].to_numpy()[p]]
        message = "reads '{}', projects.csv says '{}'"
        found.each("6 project_decisions site_id", named != home, 1.0, message, named, home, **at)

    mp, sc, sid = tables.marriage_pairs, est.sc, est.site_ids
    a, b = sid.get_indexer(ids(mp["site_a"])), sid.get_indexer(ids(mp["site_b"]))
    known = (a >= 0) & (b >= 0)
    mp, a, b = mp[known], a[known], b[known]
    at = {"site": np.array([f"{x} & {y}" for x, y in zip(sid[a], sid[b], strict=True)], object)}
    value, homes = est.sites["market_value"].to_numpy(), est.sites["housing_units"].to_numpy()
    want = sc.marriage_value_uplift * (value[a] + value[b])
    compare(mp, "marriage_pairs", "value_uplift", want, **at)
    want = sc.marriage_housing_uplift * (homes[a] + homes[b])
    compare(mp, "marriage_pairs", "housing_uplift", want, **at)


def check_equity(
    instance: Instance, est: Estate, dec: Decisions, found: Findings, tol: float
) -> None:
    """The ``[equity]`` caps (docs/equity.md): a group's population-weighted average
    distance to a service in a capped period <= its status-quo average + the cap."""
    sc, T = est.sc, est.periods
    if not sc.equity_on:
        return
    zones = instance.zones.reset_index(drop=True)
    groups: list[tuple[str, str, np.ndarray, float]] = []
    if sc.equity_deprived_max_increase_m is not None:
        if "imd_decile" not in zones.columns:
            found.add("equity deprived", 1.0, "zones carry no imd_decile column")
        else:
            decile = numbers(zones["imd_decile"])
            members = np.isin(decile, list(sc.equity_deprived_deciles))
            label = "deciles " + "-".join(str(d) for d in sc.equity_deprived_deciles)
            groups.append(("equity deprived", label, members, sc.equity_deprived_max_increase_m))
    if sc.equity_borough_max_increase_m is not None:
        borough = ids(zones["borough"]).astype(str)
        for b in sorted(set(borough)):
            groups.append(("equity borough", b, borough == b, sc.equity_borough_max_increase_m))
    names = est.services
    services = list(sc.equity_services) or [n for k, n in enumerate(names) if est.sigma[k] > 0]
    periods = range(1, T + 1) if sc.equity_every_period else [T]
    Z, K = len(est.zone_ids), len(names)
    cell = (dec.az * K + dec.ak) * T + dec.at
    after = np.bincount(cell, dec.ax * np.nan_to_num(dec.adist), Z * K * T).reshape(Z, K, T)
    before = status_quo_distance(est)
    for rule, label, members, cap in groups:
        for service in services:
            k = names.index(service)
            inside = members & (est.pop > 0) & np.isfinite(before[:, k])
            if not inside.any():
                continue
            weight = est.pop[inside] / est.pop[inside].sum()
            limit = float(weight @ before[inside, k]) + cap
            for t in periods:
                average = float(weight @ after[inside, k, t - 1])
                if over(average, limit, tol):
                    message = (
                        f"{label}: average distance {average:,.1f} m > status quo + cap "
                        f"= {limit:,.1f} m"
                    )
                    where = {"borough": label} if rule == "equity borough" else {}
                    found.add(rule, average - limit, message, service=service, period=t, **where)
