"""Arrays behind :func:`estates_opt.check.check`: MODEL.md sections 2, 3 and 5 re-derived.

A second implementation of the model written from MODEL.md alone: it never imports
``estates_opt.model``, ``estates_opt.backends`` or ``estates_opt.optimize.solve``. Positions index
sites ``s``, zones ``z``, services ``k`` (scenario order) and projects ``p``; periods are
0-based in arrays, 1-based in decisions (``d``, ``u``, pair periods) and messages.

- :class:`Estate`: the instance as arrays (section 2 derived data).
- :func:`decode_plan`: a plan's rows placed on those positions (section 3); a row that
  cannot be placed is reported and dropped.
- :class:`State`: open, built, cap, avail, loads, receipts and homes of the decisions.
- :func:`npv_terms`: the five terms of the section 5 objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from estates_opt.instance import Instance, split_services
from estates_opt.scenario import Scenario

__all__ = [
    "Decisions",
    "Estate",
    "Findings",
    "State",
    "Violation",
    "decode_plan",
    "npv_terms",
    "status_quo_distance",
]

_CRS = "EPSG:27700"
_PLACES = ("period", "site", "zone", "service", "borough", "project")


@dataclass(frozen=True)
class Violation:
    """One broken rule of a plan.

    ``constraint`` is ``"4.1"`` .. ``"4.11"`` for the constraints of MODEL.md section 4,
    ``"3"`` for a variable outside its domain (section 3), ``"5"`` for a reported
    objective that is not the NPV of the decisions and ``"6"`` for an output row or column
    that contradicts the inputs (section 6). ``amount`` is how far the rule is from being
    met, in its unit (m2, GBP, homes, periods, share; 1 for a yes/no rule).

    Examples
    --------
    >>> v = Violation("4.3", "capacity", 12.5, "load above U_max * cap", period=2, site="S04")
    >>> print(v)
    [4.3 capacity] period 2, site S04: load above U_max * cap (off by 12.5)
    >>> v.number
    3
    """

    constraint: str
    name: str
    amount: float
    message: str
    period: int | None = None
    site: str | None = None
    zone: str | None = None
    service: str | None = None
    borough: str | None = None
    project: str | None = None

    @property
    def number(self) -> int | None:
        """The MODEL.md section 4 constraint number, None for other sections."""
        section, _, number = self.constraint.partition(".")
        return int(number) if section == "4" and number else None

    def __str__(self) -> str:
        where = ", ".join(
            f"{p} {getattr(self, p)}" for p in _PLACES if getattr(self, p) is not None
        )
        where = f" {where}" if where else ""
        return f"[{self.constraint} {self.name}]{where}: {self.message} (off by {self.amount:.6g})"


class Findings:
    """Collects the violations of one check, one at a time or a mask at a time."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, rule: str, amount: float, message: str, **places: Any) -> None:
        """Record one violation of ``rule``, e.g. ``"4.2 coverage"``."""
        constraint, name = rule.split(" ", 1)
        self.violations.append(Violation(constraint, name, float(amount), message, **places))

    def each(
        self, rule: str, mask: Any, amount: Any, template: str, *values: Any, **places: Any
    ) -> None:
        """Record one violation of ``rule`` wherever ``mask`` is true.

        ``amount``, ``values`` (formatted into ``template``) and ``places`` are arrays
        broadcastable to the shape of ``mask``, or single values.
        """
        mask = np.asarray(mask, dtype=bool)
        hits = np.nonzero(mask)
        if len(hits[0]) == 0:
            return

        def pick(value: Any) -> list[Any]:
            array = np.asarray(value, dtype=object if isinstance(value, pd.Index) else None)
            return np.broadcast_to(array, mask.shape)[hits].tolist()

        amounts, texts = pick(amount), list(zip(*(pick(v) for v in values), strict=True))
        where = {key: pick(value) for key, value in places.items()}
        for i, amt in enumerate(amounts):
            text = template.format(*texts[i]) if values else template
            self.add(rule, amt, text, **{key: value[i] for key, value in where.items()})


def ids(values: Any) -> np.ndarray:
    """Ids as an object array of str, blanks as None."""
    series = pd.Series(values, dtype=object)
    text = series.astype(str).to_numpy(dtype=object)
    return np.asarray(np.where(series.isna().to_numpy(), None, text), dtype=object)


def numbers(values: Any) -> np.ndarray:
    """Numbers as floats, blanks and text as NaN."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def _services(cells: Any, names: list[str]) -> np.ndarray:
    """Boolean matrix (rows, K): which services each ``;``-separated cell names."""
    index = {name: k for k, name in enumerate(names)}
    out = np.zeros((len(cells), len(names)), dtype=bool)
    for row, cell in enumerate(cells):
        for name in split_services("" if cell is None or pd.isna(cell) else cell):
            if name in index:
                out[row, index[name]] = True
    return out


def _xy(frame: Any) -> np.ndarray:
    """(n, 2) coordinates of the representative points (a point's is itself)."""
    points = frame.geometry.representative_point().to_numpy()
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def _in_27700(frame: Any) -> Any:
    frame = frame.reset_index(drop=True)
    return frame if frame.crs is None or frame.crs == _CRS else frame.to_crs(_CRS)


@dataclass(frozen=True, eq=False)
class Estate:
    """An instance as arrays (MODEL.md section 2). Build with :meth:`from_instance`."""

    sc: Scenario
    delta: np.ndarray  # (T,) discount factors
    services: list[str]
    sigma: np.ndarray  # (K,) m2 per 1000 residents
    reach: np.ndarray  # (K,) m
    tau: np.ndarray  # (K,) GBP per resident per km per year
    site_ids: pd.Index
    zone_ids: pd.Index
    project_ids: pd.Index
    sites: pd.DataFrame  # numeric site columns and flags, positional
    site_geom: np.ndarray  # (S,) geometries in EPSG:27700
    site_xy: np.ndarray  # (S, 2) representative points
    borough: np.ndarray  # (S,)
    kbase: np.ndarray  # (S, K) services the site hosts today
    kall: np.ndarray  # (S, K) services it can ever host
    chat: np.ndarray  # (S,) capacity_s + sum of added_p at s
    zone_xy: np.ndarray  # (Z, 2)
    pop: np.ndarray  # (Z,) population in period 1
    growth: np.ndarray  # (T,) (1 + g) ** ((t - 1) * L)
    q: np.ndarray  # (Z, K, T) demand in m2
    projects: pd.DataFrame  # numeric project columns and flags, positional; psite
    kp: np.ndarray  # (P, K) services each project makes available
    travel: tuple[np.ndarray, np.ndarray] | None  # sorted keys z * S + s, distance_m

    @property
    def periods(self) -> int:
        """T."""
        return self.sc.periods

    @classmethod
    def from_instance(cls, instance: Instance) -> Estate:
        """Derive every array the checker needs from a validated instance."""
        sc = instance.scenario
        names = list(sc.services)
        sites, zones = _in_27700(instance.sites), _in_27700(instance.zones)
        projects = instance.projects.reset_index(drop=True)
        site_ids = pd.Index(ids(sites["site_id"]), dtype=object)
        cols: tuple[str, ...] = (
            "capacity_m2", "running_cost", "backlog_cost", "market_value", "housing_units"
        )  # fmt: skip
        site = pd.DataFrame({c: numbers(sites[c]) for c in cols})
        site["beta"] = site["backlog_cost"] / sc.periods
        site["disposable"] = sites["disposable"].astype(bool).to_numpy()
        site["earliest"] = numbers(sites["earliest_disposal"]).astype(int)
        site["keep"] = site_ids.isin(list(sc.keep))
        site["dispose_lock"] = site_ids.isin(list(sc.dispose))
        cols = ("capex", "added_capacity_m2", "running_cost_delta")
        proj = pd.DataFrame({c: numbers(projects.get(c, [])) for c in cols})
        proj["build_periods"] = numbers(projects.get("build_periods", [])).astype(int)
        proj["earliest"] = numbers(projects.get("earliest_start", [])).astype(int)
        proj["psite"] = site_ids.get_indexer(ids(projects.get("site_id", [])))
        group = pd.Series(projects.get("exclusive_group", [None] * len(proj)), dtype=object)
        proj["group"] = group.fillna("").astype(str).str.strip().to_numpy(dtype=object)
        project_ids = pd.Index(ids(projects.get("project_id", [])), dtype=object)
        proj["forbid"] = project_ids.isin(list(sc.forbid))
        proj["build_lock"] = project_ids.isin(list(sc.build))
        kbase = _services(sites["services"].to_numpy(dtype=object), names)
        kp = _services(np.asarray(projects.get("services", []), dtype=object), names)
        kall, chat = kbase.copy(), site["capacity_m2"].to_numpy(dtype=float).copy()
        psite = proj["psite"].to_numpy()
        np.logical_or.at(kall, psite, kp)
        np.add.at(chat, psite, proj["added_capacity_m2"].to_numpy())
        travel = None
        if instance.travel is not None:
            tr = instance.travel
            z = pd.Index(ids(zones["zone_id"]), dtype=object).get_indexer(ids(tr["zone_id"]))
            s = site_ids.get_indexer(ids(tr["site_id"]))
            key = np.where((z >= 0) & (s >= 0), z.astype(np.int64) * len(site_ids) + s, -1)
            key, first = np.unique(key, return_index=True)  # the first row of a repeated pair
            travel = (key, numbers(tr["distance_m"])[first])
        spec = list(sc.services.values())
        sigma = np.array([s.space_per_1000 for s in spec], dtype=float)
        years = np.arange(sc.periods) * sc.period_years  # (t - 1) * L, written out again
        growth = (1.0 + sc.growth_per_year) ** years
        pop = numbers(zones["population"])
        return cls(
            sc=sc,
            delta=(1.0 + sc.discount_rate) ** -years,
            services=names,
            sigma=sigma,
            reach=np.array([s.max_distance_m for s in spec], dtype=float),
            tau=np.array([s.travel_cost_per_person_km for s in spec], dtype=float),
            site_ids=site_ids,
            zone_ids=pd.Index(ids(zones["zone_id"]), dtype=object),
            project_ids=project_ids,
            sites=site,
            site_geom=sites.geometry.to_numpy(),
            site_xy=_xy(sites),
            borough=ids(sites["borough"]),
            kbase=kbase,
            kall=kall,
            chat=chat,
            zone_xy=_xy(zones),
            pop=pop,
            growth=growth,
            q=pop[:, None, None] * (sigma / 1000.0)[None, :, None] * growth,
            projects=proj,
            kp=kp,
            travel=travel,
        )


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
