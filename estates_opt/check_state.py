"""The plan's side of :func:`estates_opt.check.check`: decisions, state and NPV terms.

- :func:`decode_plan`: a plan's rows placed on the :class:`~estates_opt.check_terms.Estate`
  positions (MODEL.md section 3); a row that cannot be placed is reported and dropped.
- :class:`State`: open, built, cap, avail, loads, receipts and homes of the decisions.
- :func:`npv_terms`: the five terms of the section 5 objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from estates_opt.check_terms import Estate, Findings, ids, numbers

__all__ = ["Decisions", "State", "decode_plan", "is_period", "npv_terms", "status_quo_distance"]


@dataclass(frozen=True, eq=False)
class Decisions:
    """A plan on the estate's positions; ``d``, ``u`` and ``pt`` are periods (0 = never)."""

    d: np.ndarray  # (S,) disposal period
    u: np.ndarray  # (P,) start period
    az: np.ndarray  # assignment rows: zone, site, service positions, 0-based period, share
    asite: np.ndarray
    ak: np.ndarray
    at: np.ndarray
    ax: np.ndarray
    adist: np.ndarray  # D_{z,s}; NaN where travel.csv lists no such pair
    pa: np.ndarray  # realised marriage pairs: sites a <= b and the period
    pb: np.ndarray
    pt: np.ndarray


def is_period(values: np.ndarray, periods: int) -> np.ndarray:
    """True where a value is a whole period in 1..T."""
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.round(values))
        return whole & (values >= 1) & (values <= periods)


def _one_per_id(
    frame: pd.DataFrame, key: str, column: str, index: pd.Index, T: int, found: Findings
) -> np.ndarray:
    """The period of each id (0 when blank), reporting unknown, repeated and missing ids."""
    kind = key.removesuffix("_id")
    table, domain = f"{kind}_decisions", "disposal" if kind == "site" else "project start"
    raw = ids(frame[key])
    pos, value = index.get_indexer(raw), numbers(frame[column])
    found.each(f"6 {table}", pos < 0, 1.0, "no such id in the instance", **{kind: raw})
    value, pos = value[pos >= 0], pos[pos >= 0]
    where = {kind: index.to_numpy()[pos]}
    again = pd.Series(pos).duplicated().to_numpy()
    found.each("4.1 once", again, 1.0, f"more than one row in {table}", **where)
    bad = ~np.isnan(value) & ~is_period(value, T)
    found.each(f"3 {domain} domain", bad, 1.0, f"{column} {{:g}} not in 1..{T}", value, **where)
    out = np.zeros(len(index), dtype=int)
    good = is_period(value, T)
    out[pos[good][::-1]] = value[good][::-1]  # the first row of a repeated id wins
    missing = ~np.isin(np.arange(len(index)), pos)
    found.each(f"6 {table}", missing, 1.0, "no row; read as never", **{kind: index})
    return out


def decode_plan(est: Estate, tables: Any, found: Findings) -> Decisions:
    """Place a plan's rows on the estate, reporting the rows that cannot be placed."""
    T = est.periods
    d = _one_per_id(tables.site_decisions, "site_id", "dispose_period", est.site_ids, T, found)
    pdec = tables.project_decisions
    u = _one_per_id(pdec, "project_id", "start_period", est.project_ids, T, found)
    a = tables.assignments
    zone, site, service = ids(a["zone_id"]), ids(a["site_id"]), ids(a["service"])
    az, asite = est.zone_ids.get_indexer(zone), est.site_ids.get_indexer(site)
    ak = pd.Index(est.services, dtype=object).get_indexer(service)
    at, ax = numbers(a["period"]), numbers(a["share"])
    good = (az >= 0) & (asite >= 0) & (ak >= 0) & is_period(at, T) & np.isfinite(ax)
    message = f"unknown id, period not in 1..{T} or blank share: period {{}}, share {{}}"
    where = {"zone": zone, "site": site, "service": service}
    found.each("3 assignment domain", ~good, 1.0, message, at, ax, **where)
    az, asite, ak, ax, at = az[good], asite[good], ak[good], ax[good], at[good].astype(int) - 1
    if est.travel is None:
        adist = np.hypot(*(est.zone_xy[az] - est.site_xy[asite]).T)
    else:
        keys, distance = est.travel
        key = az.astype(np.int64) * len(est.site_ids) + asite
        pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        adist = np.where(keys[pos] == key, distance[pos], np.nan) if len(keys) else key * np.nan
    m = tables.marriage_pairs
    ra, rb, pt = ids(m["site_a"]), ids(m["site_b"]), numbers(m["period"])
    pa, pb = est.site_ids.get_indexer(ra), est.site_ids.get_indexer(rb)
    good = (pa >= 0) & (pb >= 0) & is_period(pt, T)
    pair = np.array([f"{x} & {y}" for x, y in zip(ra, rb, strict=True)], dtype=object)
    message = f"unknown site or period {{}} not in 1..{T}"
    found.each("3 marriage pair domain", ~good, 1.0, message, pt, site=pair)
    pa, pb, pt = pa[good], pb[good], pt[good].astype(int)
    pa, pb = np.minimum(pa, pb), np.maximum(pa, pb)
    return Decisions(d, u, az, asite, ak, at, ax, adist, pa, pb, pt)


@dataclass(frozen=True, eq=False)
class State:
    """Quantities of MODEL.md sections 3 and 4 implied by the decisions."""

    open: np.ndarray  # (S, T) bool
    built: np.ndarray  # (P, T) bool
    cap: np.ndarray  # (S, T) m2
    avail: np.ndarray  # (S, K, T)
    load: np.ndarray  # (S, T) m2
    load_k: np.ndarray  # (S, K, T) m2
    cover: np.ndarray  # (Z, K, T) sum of shares
    m_ab: np.ndarray  # (pairs,) value uplift, GBP
    hb_ab: np.ndarray  # (pairs,) housing uplift, homes
    receipts: np.ndarray  # (T,) GBP
    homes: np.ndarray  # (T,)

    @classmethod
    def derive(cls, est: Estate, dec: Decisions) -> State:
        """Everything the constraints and the objective read, from the decisions."""
        T, S, K, Z = est.periods, len(est.site_ids), len(est.services), len(est.zone_ids)
        t = np.arange(1, T + 1)
        open_ = (dec.d[:, None] == 0) | (t < dec.d[:, None])
        proj = est.projects
        ready = dec.u + proj["build_periods"].to_numpy()
        built = (dec.u[:, None] > 0) & (t >= ready[:, None])
        psite = proj["psite"].to_numpy()
        cap = est.sites["capacity_m2"].to_numpy()[:, None] * open_
        np.add.at(cap, psite, proj["added_capacity_m2"].to_numpy()[:, None] * built)
        avail = (est.kbase[:, :, None] & open_[:, None, :]).astype(float)
        np.add.at(avail, psite, (est.kp[:, :, None] & built[:, None, :]).astype(float))
        served = est.q[dec.az, dec.ak, dec.at] * dec.ax
        cell = (dec.asite * K + dec.ak) * T + dec.at
        load_k = np.bincount(cell, served, S * K * T).reshape(S, K, T)
        cell = (dec.az * K + dec.ak) * T + dec.at
        cover = np.bincount(cell, dec.ax, Z * K * T).reshape(Z, K, T)
        value, homes = est.sites["market_value"].to_numpy(), est.sites["housing_units"].to_numpy()
        m_ab = est.sc.marriage_value_uplift * (value[dec.pa] + value[dec.pb])
        hb_ab = est.sc.marriage_housing_uplift * (homes[dec.pa] + homes[dec.pb])
        sold = dec.d > 0
        when = dec.d[sold] - 1
        return cls(
            open=open_,
            built=built,
            cap=cap,
            avail=avail,
            load=load_k.sum(axis=1),
            load_k=load_k,
            cover=cover,
            m_ab=m_ab,
            hb_ab=hb_ab,
            receipts=np.bincount(when, value[sold], T) + np.bincount(dec.pt - 1, m_ab, T),
            homes=np.bincount(when, homes[sold], T) + np.bincount(dec.pt - 1, hb_ab, T),
        )


def npv_terms(est: Estate, dec: Decisions, state: State) -> dict[str, float]:
    """The five terms of the MODEL.md section 5 NPV, signed as they enter it (GBP)."""
    L, delta, T = est.sc.period_years, est.delta, est.periods
    sites, proj = est.sites, est.projects
    per_period = L * sites["running_cost"].to_numpy() + sites["beta"].to_numpy()
    closed = ~state.open & sites["disposable"].to_numpy()[:, None]
    go = dec.u > 0
    capex = np.bincount(dec.u[go] - 1, proj["capex"].to_numpy()[go], T)
    running = L * proj["running_cost_delta"].to_numpy() @ state.built
    pop_t = est.pop[dec.az] * est.growth[dec.at]
    travel = L * est.tau[dec.ak] * pop_t * np.nan_to_num(dec.adist) / 1000.0 * dec.ax
    return {
        "receipts": float(delta @ state.receipts),
        "running_and_backlog_saving": float(delta @ (per_period @ closed)),
        "capex": -float(delta @ capex),
        "project_running_cost": -float(delta @ running),
        "travel_cost": -float(delta[dec.at] @ travel),
    }


def status_quo_distance(est: Estate) -> np.ndarray:
    """(Z, K) distance from each zone to its nearest site hosting k today within reach
    (NaN: none), the ``[equity]`` baseline of ``docs/equity.md``, re-derived here."""
    Z, S = len(est.zone_ids), len(est.site_ids)
    if est.travel is None:
        dist = np.hypot(
            est.zone_xy[:, None, 0] - est.site_xy[None, :, 0],
            est.zone_xy[:, None, 1] - est.site_xy[None, :, 1],
        )
    else:
        keys, distance = est.travel
        dist = np.full(Z * S, np.inf)
        listed = keys >= 0
        dist[keys[listed]] = distance[listed]
        dist = dist.reshape(Z, S)
    out = np.full((Z, len(est.services)), np.nan)
    for k in range(len(est.services)):
        near = np.where(est.kbase[None, :, k] & (dist <= est.reach[k]), dist, np.inf)
        best = near.min(axis=1) if S else np.full(Z, np.inf)
        out[:, k] = np.where(np.isfinite(best), best, np.nan)
    return out
