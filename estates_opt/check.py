"""Independent plan checker: is a plan feasible under MODEL.md, and what is its NPV?

A second implementation of the canonical model written from MODEL.md alone: it never
imports ``estates_opt.model``, ``estates_opt.backends`` or ``estates_opt.solve``, and it
recomputes distances (zone point to site representative point, or ``travel.csv``) and
marriage-pair distances (between site geometries) itself. It checks the variable
domains of section 3, every constraint of section 4, the section 5 objective and the
section 6 columns that restate inputs (receipts, homes, capex, ready period, utilisation).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from estates_opt.check_terms import Decisions, Estate, State, Violation, decode_plan, npv_terms
from estates_opt.errors import EstatesOptError, InputError, Problem
from estates_opt.instance import Instance
from estates_opt.io.plan_files import PLAN_FILES, read_plan_files
from estates_opt.scenario import Scenario

__all__ = ["CheckReport", "PlanCheckError", "Violation", "check"]

_TABLES = {name.removesuffix(".csv"): spec for name, spec in PLAN_FILES.items()}
_REQUIRED = {
    "site_decisions": ("site_id", "dispose_period"),
    "project_decisions": ("project_id", "start_period"),
    "assignments": ("zone_id", "site_id", "service", "period", "share"),
    "marriage_pairs": ("site_a", "site_b", "period"),
}
_SHOWN = 25


class PlanCheckError(EstatesOptError):
    """A plan breaks MODEL.md; ``report`` is the :class:`CheckReport` that says where."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        super().__init__(str(report))


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check` found: feasibility, violations and the recomputed NPV.

    ``npv_terms`` splits ``npv`` like ``summary.json``'s ``npv_terms``; ``objective`` is
    the reported NPV (None when the plan reports none) and ``objective_gap`` its
    relative distance ``|reported - npv| / max(|npv|, 1)``.
    """

    ok: bool
    violations: tuple[Violation, ...]
    npv: float
    npv_terms: Mapping[str, float]
    objective: float | None = None
    objective_gap: float | None = None

    def by_constraint(self) -> dict[str, int]:
        """Number of violations per ``"<constraint> <name>"``."""
        counts: dict[str, int] = {}
        for v in self.violations:
            counts[f"{v.constraint} {v.name}"] = counts.get(f"{v.constraint} {v.name}", 0) + 1
        return counts

    def to_frame(self) -> pd.DataFrame:
        """The violations as a table, one row each."""
        fields = (
            "constraint",
            "name",
            "amount",
            "message",
            "period",
            "site",
            "zone",
            "service",
            "borough",
            "project",
        )
        rows = [{f: getattr(v, f) for f in fields} for v in self.violations]
        return pd.DataFrame(rows, columns=list(fields))

    def raise_if_failed(self) -> CheckReport:
        """Raise :class:`PlanCheckError` unless the plan passed; return self otherwise."""
        if not self.ok:
            raise PlanCheckError(self)
        return self

    def __str__(self) -> str:
        head = "ok" if self.ok else f"FAILED, {len(self.violations)} violation(s)"
        lines = [f"Plan check: {head}", f"NPV recomputed: {self.npv:,.2f} GBP"]
        if self.objective is not None:
            lines.append(
                f"NPV reported:   {self.objective:,.2f} GBP (relative gap {self.objective_gap:.2g})"
            )
        lines += [f"  {name:<28}{value:>18,.2f}" for name, value in self.npv_terms.items()]
        if self.violations:
            lines.append(
                "Violations by constraint: "
                + ", ".join(f"{key} x{n}" for key, n in self.by_constraint().items())
            )
            lines += [f"  {v}" for v in self.violations[:_SHOWN]]
            if len(self.violations) > _SHOWN:
                lines.append(f"  ... and {len(self.violations) - _SHOWN} more")
        return "\n".join(lines)


def check(instance: Instance, plan: Any, *, tol: float = 1e-6) -> CheckReport:
    """Check a plan against MODEL.md and recompute its NPV from the decisions.

    Parameters
    ----------
    instance
        The instance the plan claims to solve.
    plan
        A section 6 output folder (path), a :class:`~estates_opt.io.plan_files.PlanFiles`,
        or any object with DataFrame attributes ``site_decisions``,
        ``project_decisions``, ``assignments`` and ``marriage_pairs`` (section 6
        columns; extra columns ignored) and ``objective`` (float or None).
    tol
        Relative tolerance: a constraint ``lhs <= rhs`` passes when
        ``lhs - rhs <= tol * max(1, |rhs|)``; shares must sum to 1 within ``tol``; the
        reported objective must match the recomputed NPV within ``tol`` relative.

    Returns
    -------
    CheckReport
        ``ok``, every violation found, ``npv`` and its five ``npv_terms``.

    Raises
    ------
    EstatesOptError
        The plan has no decisions (status ``infeasible`` or ``no_solution``).
    InputError
        A plan table lacks a column this check needs.

    Examples
    --------
    >>> report = check(inst, "out/p01")  # doctest: +SKIP
    >>> report.ok, round(report.npv, 2)  # doctest: +SKIP
    (True, 32899849.85)
    """
    tables = read_plan_files(plan) if isinstance(plan, str | os.PathLike) else plan
    status = getattr(tables, "status", None)
    if status is not None and str(status) in ("infeasible", "no_solution"):
        raise EstatesOptError(f"the plan's status is {status}: it has no decisions to check.")
    _require_columns(tables)
    found: list[Violation] = []

    def report(constraint: str, name: str, amount: float, message: str, **places: Any) -> None:
        found.append(Violation(constraint, name, float(amount), message, **places))

    sc = instance.scenario
    est = Estate.from_instance(instance)
    dec = decode_plan(est, tables, report)
    state = State.derive(
        est, dec, value_uplift=sc.marriage_value_uplift, housing_uplift=sc.marriage_housing_uplift
    )
    _check_sites(est, dec, report)
    _check_projects(est, dec, report)
    _check_assignments(est, dec, state, sc, report, tol)
    _check_pairs(est, dec, sc, report)
    _check_money_and_homes(est, dec, state, sc, report, tol)
    _check_columns(est, dec, state, sc, tables, report, tol)
    terms = npv_terms(est, dec, state)
    npv = float(sum(terms.values()))
    objective = getattr(tables, "objective", None)
    gap = None
    if objective is not None and not pd.isna(objective):
        objective = float(objective)
        gap = abs(objective - npv) / max(abs(npv), 1.0)
        if gap > tol:
            report(
                "5",
                "objective",
                abs(objective - npv),
                f"reported {objective:,.2f} GBP, the decisions give {npv:,.2f} GBP",
            )
    else:
        objective = None
    return CheckReport(
        ok=not found,
        violations=tuple(found),
        npv=npv,
        npv_terms=terms,
        objective=objective,
        objective_gap=gap,
    )


def _require_columns(tables: Any) -> None:
    problems = []
    for table, columns in _REQUIRED.items():
        frame = getattr(tables, table, None)
        if not isinstance(frame, pd.DataFrame):
            problems.append(Problem(f"{table}.csv", "expected a table of the plan, got none."))
            continue
        problems += [
            Problem(f"{table}.csv", "expected this column in the plan, got none.", column=c)
            for c in columns
            if c not in frame.columns
        ]
    if problems:
        raise InputError(problems)


def _over(lhs: np.ndarray, rhs: np.ndarray, tol: float) -> np.ndarray:
    """Where ``lhs <= rhs`` fails beyond the relative tolerance."""
    return lhs - rhs > tol * np.maximum(1.0, np.abs(rhs))


def _check_sites(est: Estate, dec: Decisions, report: Any) -> None:
    """Section 3 domain of d and the dispose lock of constraint 1."""
    sites, d, ids = est.sites, dec.d, est.site_ids
    sold = d > 0
    for s in np.flatnonzero(sold & ~sites["disposable"].to_numpy()):
        report(
            "3", "disposal domain", 1.0, f"site is not disposable, disposed in {d[s]}", site=ids[s]
        )
    for s in np.flatnonzero(sold & sites["keep"].to_numpy()):
        report(
            "3", "disposal domain", 1.0, f"site is in locks.keep, disposed in {d[s]}", site=ids[s]
        )
    early = sites["earliest"].to_numpy()
    for s in np.flatnonzero(sold & (d < early)):
        report(
            "3",
            "disposal domain",
            early[s] - d[s],
            f"disposed in period {d[s]}, earliest_disposal is {early[s]}",
            site=ids[s],
            period=int(d[s]),
        )
    for s in np.flatnonzero(~sold & sites["dispose_lock"].to_numpy()):
        report("4.1", "once", 1.0, "site is in locks.dispose but not disposed", site=ids[s])


def _check_projects(est: Estate, dec: Decisions, report: Any) -> None:
    """Section 3 domain of u and constraints 1 (build lock), 6 and 7."""
    proj, u, ids, T = est.projects, dec.u, est.project_ids, est.periods
    started = u > 0
    first, last = proj["earliest"].to_numpy(), T - proj["build_periods"].to_numpy()
    for p in np.flatnonzero(started & (u < first)):
        report(
            "3",
            "project start domain",
            first[p] - u[p],
            f"started in period {u[p]}, earliest_start is {first[p]}",
            project=ids[p],
            period=int(u[p]),
        )
    for p in np.flatnonzero(started & (u > last)):
        report(
            "3",
            "project start domain",
            u[p] - last[p],
            f"started in period {u[p]}, the last start that is ready within T = {T} is {last[p]}",
            project=ids[p],
            period=int(u[p]),
        )
    for p in np.flatnonzero(started & proj["forbid"].to_numpy()):
        report(
            "3",
            "project start domain",
            1.0,
            "project is in locks.forbid but started",
            project=ids[p],
        )
    for p in np.flatnonzero(~started & proj["build_lock"].to_numpy()):
        report("4.1", "once", 1.0, "project is in locks.build but not started", project=ids[p])
    psite = proj["psite"].to_numpy()
    for p in np.flatnonzero(started & (dec.d[psite] > 0)):
        report(
            "4.6",
            "no project on a disposed site",
            1.0,
            f"project started in period {u[p]} on a site disposed in period {dec.d[psite[p]]}",
            project=ids[p],
            site=est.site_ids[psite[p]],
        )
    groups = proj.loc[started & (proj["group"] != "").to_numpy(), "group"]
    for group, members in groups.groupby(groups, sort=False):
        if len(members) > 1:
            report(
                "4.7",
                "exclusive group",
                len(members) - 1,
                f"group '{group}' has {len(members)} projects started, at most 1 allowed",
                project=", ".join(ids[members.index]),
            )


def _check_assignments(
    est: Estate, dec: Decisions, state: State, sc: Scenario, report: Any, tol: float
) -> None:
    """Arcs and shares (section 3) and constraints 2, 3, 4 and 5."""
    zid, sid, svc = est.zone_ids, est.site_ids, est.services
    hostable = est.kall[dec.asite, dec.ak]
    listed = np.isfinite(dec.adist)
    reach = est.reach[dec.ak]
    near = listed & (dec.adist <= reach * (1 + 1e-12))
    for r in np.flatnonzero(~(hostable & near)):
        message, amount = (
            ("the site can never host this service", 1.0)
            if not hostable[r]
            else ("the (zone, site) pair is not in travel.csv", 1.0)
            if not listed[r]
            else (
                f"distance {dec.adist[r]:,.1f} m beyond reach {reach[r]:,.1f} m",
                dec.adist[r] - reach[r],
            )
        )
        report(
            "3",
            "assignment arc",
            amount,
            message,
            zone=zid[dec.az[r]],
            site=sid[dec.asite[r]],
            service=svc[dec.ak[r]],
            period=int(dec.at[r]) + 1,
        )
    out = (dec.ax < -tol) | (dec.ax > 1 + tol)
    for r in np.flatnonzero(out):
        report(
            "3",
            "share domain",
            max(-dec.ax[r], dec.ax[r] - 1),
            f"share {dec.ax[r]:g} not in [0, 1]",
            zone=zid[dec.az[r]],
            site=sid[dec.asite[r]],
            service=svc[dec.ak[r]],
            period=int(dec.at[r]) + 1,
        )
    keys = pd.DataFrame({"z": dec.az, "s": dec.asite, "k": dec.ak, "t": dec.at})
    for r in np.flatnonzero(keys.duplicated().to_numpy()):
        report(
            "3",
            "share domain",
            1.0,
            "assignment row repeated",
            zone=zid[dec.az[r]],
            site=sid[dec.asite[r]],
            service=svc[dec.ak[r]],
            period=int(dec.at[r]) + 1,
        )
    dev = np.abs(state.cover - 1.0)
    for z, k, t in zip(*np.nonzero((state.q > 0) & (dev > tol)), strict=True):
        report(
            "4.2",
            "coverage",
            dev[z, k, t],
            f"shares sum to {state.cover[z, k, t]:.9g}, expected 1",
            zone=zid[z],
            service=svc[k],
            period=int(t) + 1,
        )
    limit = sc.utilisation_max * state.cap
    for s, t in zip(*np.nonzero(_over(state.load, limit, tol)), strict=True):
        report(
            "4.3",
            "capacity",
            state.load[s, t] - limit[s, t],
            f"load {state.load[s, t]:,.2f} m2 > U_max * cap = {limit[s, t]:,.2f} m2",
            site=sid[s],
            period=int(t) + 1,
        )
    floor = sc.utilisation_min * state.cap
    late = np.arange(est.periods) >= sc.floor_period - 1
    for s, t in zip(*np.nonzero(_over(floor, state.load, tol) & late), strict=True):
        report(
            "4.4",
            "utilisation floor",
            floor[s, t] - state.load[s, t],
            f"load {state.load[s, t]:,.2f} m2 < U_min * cap = {floor[s, t]:,.2f} m2",
            site=sid[s],
            period=int(t) + 1,
        )
    allowed = sc.utilisation_max * est.chat[:, None, None] * state.avail
    for s, k, t in zip(*np.nonzero(_over(state.load_k, allowed, tol)), strict=True):
        report(
            "4.5",
            "service availability",
            state.load_k[s, k, t] - allowed[s, k, t],
            f"load {state.load_k[s, k, t]:,.2f} m2 > U_max * Chat * avail = {allowed[s, k, t]:,.2f} m2",
            site=sid[s],
            service=svc[k],
            period=int(t) + 1,
        )


def _check_pairs(est: Estate, dec: Decisions, sc: Scenario, report: Any) -> None:
    """Marriage pairs: real pairs only (sections 2-3), each once, constraint 8."""
    ids, d = est.site_ids, dec.d
    gap = shapely.distance(est.site_geom[dec.pa], est.site_geom[dec.pb])
    disposable = est.sites["disposable"].to_numpy()
    repeated = pd.DataFrame({"a": dec.pa, "b": dec.pb}).duplicated().to_numpy()
    for r, (a, b, t) in enumerate(zip(dec.pa, dec.pb, dec.pt, strict=True)):
        pair = f"{ids[a]} & {ids[b]}"
        if a == b:
            report(
                "3",
                "marriage pair domain",
                1.0,
                "a site paired with itself",
                site=pair,
                period=int(t),
            )
        elif not (disposable[a] and disposable[b]):
            report("3", "marriage pair domain", 1.0, "both sites must be disposable", site=pair)
        elif gap[r] > sc.marriage_distance_m * (1 + 1e-12):
            report(
                "3",
                "marriage pair domain",
                gap[r] - sc.marriage_distance_m,
                f"sites are {gap[r]:,.1f} m apart, more than distance_m = {sc.marriage_distance_m:g}",
                site=pair,
            )
        if repeated[r]:
            report("3", "marriage pair domain", 1.0, "pair realised more than once", site=pair)
        if d[a] != t or d[b] != t:
            when = ", ".join(
                f"{ids[x]} {'in period ' + str(d[x]) if d[x] else 'retained'}" for x in (a, b)
            )
            report(
                "4.8",
                "marriage",
                1.0,
                f"pair sold in period {t} but {when}",
                site=pair,
                period=int(t),
            )


def _check_money_and_homes(
    est: Estate, dec: Decisions, state: State, sc: Scenario, report: Any, tol: float
) -> None:
    """Constraints 9 (cumulative cash), 10 (receipts) and 11 (housing, per borough)."""
    T = est.periods
    capex = np.bincount(dec.u[dec.u > 0] - 1, est.projects["capex"].to_numpy()[dec.u > 0], T)
    spend = np.cumsum(capex + est.sites["beta"].to_numpy() @ state.open)
    cash = np.cumsum(np.asarray(sc.budgets) + sc.receipt_retention * state.receipts)
    for t in np.flatnonzero(_over(spend, cash, tol)):
        report(
            "4.9",
            "capital",
            spend[t] - cash[t],
            f"cumulative spend {spend[t]:,.2f} GBP > budget + retained receipts {cash[t]:,.2f} GBP",
            period=int(t) + 1,
        )
    total = state.receipts.sum()
    if _over(np.array(sc.receipts_target), np.array(total), tol):
        report(
            "4.10",
            "receipts target",
            sc.receipts_target - total,
            f"receipts {total:,.2f} GBP < target {sc.receipts_target:,.2f} GBP",
        )
    homes = state.homes.sum()
    if _over(np.array(sc.housing_target), np.array(homes), tol):
        report(
            "4.11",
            "housing",
            sc.housing_target - homes,
            f"{homes:g} homes < target {sc.housing_target:g}",
        )
    sold = dec.d > 0
    by_site = pd.Series(est.sites["housing_units"].to_numpy()[sold], index=est.borough[sold])
    halves = pd.Series(
        np.concatenate([state.hb_ab, state.hb_ab]) / 2,
        index=np.concatenate([est.borough[dec.pa], est.borough[dec.pb]]),
    )
    got = pd.concat([by_site, halves]).groupby(level=0).sum()
    for borough, target in sc.housing_by_borough.items():
        have = float(got.get(borough, 0.0))
        if _over(np.array(target), np.array(have), tol):
            report(
                "4.11",
                "housing",
                target - have,
                f"{have:g} homes < borough target {target:g}",
                borough=borough,
            )


def _differs(got: np.ndarray, want: np.ndarray, tol: float) -> np.ndarray:
    """Where two columns disagree (blank vs number disagrees; blank vs blank agrees)."""
    both = np.isnan(got) & np.isnan(want)
    with np.errstate(invalid="ignore"):
        close = np.abs(got - want) <= tol * np.maximum(1.0, np.maximum(np.abs(got), np.abs(want)))
    return ~(both | close)


def _check_columns(
    est: Estate, dec: Decisions, state: State, sc: Scenario, tables: Any, report: Any, tol: float
) -> None:
    """Section 6 columns that restate inputs or decisions must agree with them."""

    def compare(
        table: str,
        frame: pd.DataFrame,
        column: str,
        want: np.ndarray,
        key: str,
        ids: np.ndarray,
        unit: str = "",
    ) -> None:
        if column not in frame.columns:
            return
        got = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        for r in np.flatnonzero(_differs(got, want, tol)):
            amount = abs(got[r] - want[r]) if np.isfinite(got[r] - want[r]) else 1.0
            report(
                "6",
                f"{table} {column}",
                amount,
                f"reads {got[r]:g}{unit}, expected {want[r]:g}{unit}",
                **{key: ids[r]},
            )

    sd = tables.site_decisions
    s = est.site_ids.get_indexer(sd["site_id"].astype(object).to_numpy())
    sd, s = sd[s >= 0], s[s >= 0]
    sold = dec.d[s] > 0
    ids = est.site_ids[s].to_numpy()
    if "decision" in sd.columns:
        said = sd["decision"].astype(object).to_numpy()
        for r in np.flatnonzero(said != np.where(sold, "dispose", "retain")):
            report(
                "6",
                "site_decisions decision",
                1.0,
                f"reads '{said[r]}' with dispose_period {dec.d[s[r]] or 'blank'}",
                site=ids[r],
            )
    for column, source in (("receipt", "market_value"), ("housing_units", "housing_units")):
        compare(
            "site_decisions",
            sd,
            column,
            np.where(sold, est.sites[source].to_numpy()[s], 0.0),
            "site",
            ids,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(state.cap > 0, state.load / state.cap, np.nan)
    for t in range(est.periods):
        compare("site_decisions", sd, f"utilisation_p{t + 1}", util[s, t], "site", ids)

    pdec = tables.project_decisions
    p = est.project_ids.get_indexer(pdec["project_id"].astype(object).to_numpy())
    pdec, p = pdec[p >= 0], p[p >= 0]
    ids = est.project_ids[p].to_numpy()
    proj = est.projects
    started = dec.u[p] > 0
    ready = np.where(started, dec.u[p] + proj["build_periods"].to_numpy()[p], np.nan)
    compare("project_decisions", pdec, "ready_period", ready, "project", ids)
    compare(
        "project_decisions",
        pdec,
        "capex",
        np.where(started, proj["capex"].to_numpy()[p], 0.0),
        "project",
        ids,
    )
    if "site_id" in pdec.columns:
        named = pdec["site_id"].astype(object).to_numpy()
        for r in np.flatnonzero(named != est.site_ids[proj["psite"].to_numpy()[p]].to_numpy()):
            report(
                "6",
                "project_decisions site_id",
                1.0,
                f"reads '{named[r]}', projects.csv says '{est.site_ids[proj['psite'].iloc[p[r]]]}'",
                project=ids[r],
            )

    mp = tables.marriage_pairs
    a = est.site_ids.get_indexer(mp["site_a"].astype(object).to_numpy())
    b = est.site_ids.get_indexer(mp["site_b"].astype(object).to_numpy())
    keep = (a >= 0) & (b >= 0)
    mp, a, b = mp[keep], a[keep], b[keep]
    pair = np.array(
        [f"{x} & {y}" for x, y in zip(est.site_ids[a], est.site_ids[b], strict=True)], dtype=object
    )
    value, homes = est.sites["market_value"].to_numpy(), est.sites["housing_units"].to_numpy()
    compare(
        "marriage_pairs",
        mp,
        "value_uplift",
        sc.marriage_value_uplift * (value[a] + value[b]),
        "site",
        pair,
    )
    compare(
        "marriage_pairs",
        mp,
        "housing_uplift",
        sc.marriage_housing_uplift * (homes[a] + homes[b]),
        "site",
        pair,
    )
