"""Arrays behind :func:`estates_opt.check.check`: MODEL.md sections 2, 3 and 5 re-derived.

A second implementation of the model written from MODEL.md alone: it never imports
``estates_opt.model``, ``estates_opt.backends`` or ``estates_opt.optimize.solve``. Positions index
sites ``s``, zones ``z``, services ``k`` (scenario order) and projects ``p``; periods are
0-based in arrays, 1-based in decisions (``d``, ``u``, pair periods) and messages.

- :class:`Estate`: the instance as arrays (section 2 derived data).
- :class:`Findings` and :class:`Violation`: what the checks report.

The plan's side (decisions, state, NPV terms) is :mod:`estates_opt.check_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from estates_opt.instance import Instance, split_services
from estates_opt.scenario import Scenario

__all__ = ["Estate", "Findings", "Violation", "ids", "numbers", "over", "xy"]

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


def xy(frame: Any) -> np.ndarray:
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
            site_xy=xy(sites),
            borough=ids(sites["borough"]),
            kbase=kbase,
            kall=kall,
            chat=chat,
            zone_xy=xy(zones),
            pop=pop,
            growth=growth,
            q=pop[:, None, None] * (sigma / 1000.0)[None, :, None] * growth,
            projects=proj,
            kp=kp,
            travel=travel,
        )


def over(lhs: Any, rhs: Any, tol: float) -> Any:
    """``lhs > rhs`` beyond the relative tolerance ``tol * max(1, |rhs|)``."""
    return np.asarray(lhs) - np.asarray(rhs) > tol * np.maximum(1.0, np.abs(np.asarray(rhs)))
