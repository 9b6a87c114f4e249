"""Independent plan checker: is a plan feasible under MODEL.md, and what is its NPV?

A second implementation of the canonical model written from MODEL.md alone: it never
imports ``estates_opt.model``, ``estates_opt.backends`` or ``estates_opt.optimize.solve``, and it
recomputes distances (zone point to site representative point, or ``travel.csv``) and
marriage-pair distances (between site geometries) itself. It checks the variable
domains of section 3, every constraint of section 4, the section 5 objective and the
section 6 columns that restate inputs (receipts, homes, capex, ready period, utilisation),
and the fairness caps of the scenario's ``[equity]`` table (``docs/equity.md``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from estates_opt.check_columns import check_columns, check_equity
from estates_opt.check_state import Decisions, State, decode_plan, npv_terms
from estates_opt.check_terms import Estate, Findings, Violation, over
from estates_opt.errors import EstatesOptError, InputError, Problem
from estates_opt.instance import Instance
from estates_opt.io.plan_files import read_plan_files

__all__ = ["CheckReport", "PlanCheckError", "Violation", "check"]

_REQUIRED = {
    "site_decisions": ("site_id", "dispose_period"),
    "project_decisions": ("project_id", "start_period"),
    "assignments": ("zone_id", "site_id", "service", "period", "share"),
    "marriage_pairs": ("site_a", "site_b", "period"),
}
_SHOWN = 25


class PlanCheckError(EstatesOptError):
    """A plan breaks MODEL.md; ``report`` is the :class:`CheckReport` saying where."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        super().__init__(str(report))


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check` found: feasibility, violations and the recomputed NPV.

    ``npv_terms`` splits ``npv`` like ``summary.json``'s ``npv_terms``; ``objective`` is
    the reported NPV (None when the plan reports none) and ``objective_gap`` is
    ``|objective - npv| / max(|npv|, 1)``.
    """

    ok: bool
    violations: tuple[Violation, ...]
    npv: float
    npv_terms: Mapping[str, float]
    objective: float | None = None
    objective_gap: float | None = None

    def by_constraint(self) -> dict[str, int]:
        """Number of violations per ``"<constraint> <name>"``, in order of first sight."""
        counts: dict[str, int] = {}
        for v in self.violations:
            key = f"{v.constraint} {v.name}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def to_frame(self) -> pd.DataFrame:
        """The violations as a table, one row each."""
        columns = [f.name for f in fields(Violation)]
        rows = [[getattr(v, c) for c in columns] for v in self.violations]
        return pd.DataFrame(rows, columns=columns)

    def raise_if_failed(self) -> CheckReport:
        """Raise :class:`PlanCheckError` unless the plan passed; return the report if it did."""
        if not self.ok:
            raise PlanCheckError(self)
        return self

    def __str__(self) -> str:
        head = "ok" if self.ok else f"FAILED with {len(self.violations)} violation(s)"
        lines = [f"Plan check: {head}", f"NPV recomputed: {self.npv:,.2f} GBP"]
        if self.objective is not None:
            lines.append(
                f"NPV reported:   {self.objective:,.2f} GBP (relative gap {self.objective_gap:.2g})"
            )
        lines += [f"  {name:<28}{value:>18,.2f}" for name, value in self.npv_terms.items()]
        if self.violations:
            counts = ", ".join(f"{key} x{n}" for key, n in self.by_constraint().items())
            lines.append(f"Violations: {counts}")
            lines += [f"  {v}" for v in self.violations[:_SHOWN]]
            if len(self.violations) > _SHOWN:
                lines.append(f"  ... and {len(self.violations) - _SHOWN} more (see .to_frame())")
        return "\n".join(lines)


def check(instance: Instance, plan: Any, *, tol: float = 1e-6) -> CheckReport:
    """Check a plan against MODEL.md and recompute its NPV from the decisions.

    Parameters
    ----------
    instance
        The instance the plan claims to solve.
    plan
        A section 6 output folder (path), a :class:`~estates_opt.io.plan_files.PlanFiles`,
        or any object with DataFrame attributes ``site_decisions``, ``project_decisions``,
        ``assignments`` and ``marriage_pairs`` (section 6 columns; extra columns ignored)
        and ``objective`` (float or None).
    tol
        Relative tolerance: ``lhs <= rhs`` passes when ``lhs - rhs <= tol * max(1, |rhs|)``;
        shares must sum to 1 within ``tol``; the reported objective must equal the
        recomputed NPV within ``tol`` relative.

    Returns
    -------
    CheckReport
        ``ok``, every violation found, ``npv`` and its five ``npv_terms``.

    Raises
    ------
    EstatesOptError
        The plan has no decisions (status ``infeasible`` or ``no_solution``).
    InputError
        A plan table is missing or lacks a column the check reads.

    Examples
    --------
    >>> report = check(inst, "out/p01")  # doctest: +SKIP
    >>> report.ok, round(report.npv, 2)  # doctest: +SKIP
    (True, 32899849.85)
    """
    tables = read_plan_files(Path(plan)) if isinstance(plan, str | os.PathLike) else plan
    status = getattr(tables, "status", None)
    if status is not None and str(status) in ("infeasible", "no_solution"):
        raise EstatesOptError(f"the plan's status is {status}: it has no decisions to check.")
    _require_columns(tables)
    found = Findings()
    est = Estate.from_instance(instance)
    dec = decode_plan(est, tables, found)
    state = State.derive(est, dec)
    _check_sites_and_projects(est, dec, found)
    _check_assignments(est, dec, state, found, tol)
    _check_pairs(est, dec, found)
    _check_money_and_homes(est, dec, state, found, tol)
    check_columns(est, dec, state, tables, found, tol)
    check_equity(instance, est, dec, found, tol)
    terms = npv_terms(est, dec, state)
    npv = float(sum(terms.values()))
    objective = getattr(tables, "objective", None)
    objective = None if objective is None or pd.isna(objective) else float(objective)
    gap = None if objective is None else abs(objective - npv) / max(abs(npv), 1.0)
    if objective is not None and gap is not None and gap > tol:
        message = f"reported {objective:,.2f} GBP, the decisions give {npv:,.2f} GBP"
        found.add("5 objective", abs(objective - npv), message)
    return CheckReport(
        ok=not found.violations,
        violations=tuple(found.violations),
        npv=npv,
        npv_terms=terms,
        objective=objective,
        objective_gap=gap,
    )


def _require_columns(tables: Any) -> None:
    """Raise :class:`InputError` naming every plan table or column the check cannot read."""
    problems = []
    for table, columns in _REQUIRED.items():
        frame = getattr(tables, table, None)
        if not isinstance(frame, pd.DataFrame):
            problems.append(Problem(f"{table}.csv", "expected a table of the plan, got none."))
            continue
        problems += [
            Problem(f"{table}.csv", "expected this column, got none.", column=c)
            for c in columns
            if c not in frame.columns
        ]
    if problems:
        raise InputError(problems)


def _check_sites_and_projects(est: Estate, dec: Decisions, found: Findings) -> None:
    """Domains of d and u (section 3), locks (constraint 1), constraints 6 and 7."""
    sites, d, sid = est.sites, dec.d, est.site_ids.to_numpy()
    sold, first, at = d > 0, sites["earliest"].to_numpy(), {"site": sid, "period": d}
    bad = sold & ~sites["disposable"].to_numpy()
    found.each("3 disposal domain", bad, 1.0, "site is not disposable", **at)
    found.each(
        "3 disposal domain", sold & sites["keep"].to_numpy(), 1.0, "site in locks.keep", **at
    )
    bad = sold & (d < first)
    found.each("3 disposal domain", bad, first - d, "earliest_disposal is {}", first, **at)
    bad = ~sold & sites["dispose_lock"].to_numpy()
    found.each("4.1 once", bad, 1.0, "site in locks.dispose is not disposed", site=sid)

    proj, u, pid, T = est.projects, dec.u, est.project_ids.to_numpy(), est.periods
    go, at = u > 0, {"project": pid, "period": u}
    first, last = proj["earliest"].to_numpy(), T - proj["build_periods"].to_numpy()
    bad = go & (u < first)
    found.each("3 project start domain", bad, first - u, "earliest_start is {}", first, **at)
    message = f"the last start ready by T = {T} is {{}}"
    found.each("3 project start domain", go & (u > last), u - last, message, last, **at)
    bad = go & proj["forbid"].to_numpy()
    found.each("3 project start domain", bad, 1.0, "project in locks.forbid", **at)
    bad = ~go & proj["build_lock"].to_numpy()
    found.each("4.1 once", bad, 1.0, "project in locks.build is not started", project=pid)
    psite = proj["psite"].to_numpy()
    message = "project started in period {} on a site disposed in period {}"
    found.each(
        "4.6 no project on a disposed site",
        go & (d[psite] > 0),
        1.0,
        message,
        u,
        d[psite],
        project=pid,
        site=sid[psite],
    )
    groups = proj.loc[go & (proj["group"] != "").to_numpy(), "group"]
    for group, members in groups.groupby(groups, sort=False):
        if len(members) > 1:
            message = f"group '{group}' has {len(members)} projects started, at most 1 allowed"
            found.add(
                "4.7 exclusive group",
                len(members) - 1,
                message,
                project=", ".join(pid[members.index]),
            )


def _check_assignments(
    est: Estate, dec: Decisions, state: State, found: Findings, tol: float
) -> None:
    """Arcs and shares (sections 2-3) and constraints 2, 3, 4 and 5."""
    sc, zid, sid = est.sc, est.zone_ids.to_numpy(), est.site_ids.to_numpy()
    svc, t = np.array(est.services, dtype=object), np.arange(1, est.periods + 1)
    at = {"zone": zid[dec.az], "site": sid[dec.asite], "service": svc[dec.ak], "period": dec.at + 1}
    hostable, listed = est.kall[dec.asite, dec.ak], np.isfinite(dec.adist)
    reach = est.reach[dec.ak]
    found.each("3 assignment arc", ~hostable, 1.0, "the site can never host the service", **at)
    bad = hostable & ~listed
    found.each("3 assignment arc", bad, 1.0, "travel.csv does not list the pair", **at)
    bad = hostable & listed & (dec.adist > reach * (1 + 1e-12))
    message = "distance {:,.1f} m > reach {:g} m"
    found.each("3 assignment arc", bad, dec.adist - reach, message, dec.adist, reach, **at)
    bad, off = (dec.ax < -tol) | (dec.ax > 1 + tol), np.maximum(-dec.ax, dec.ax - 1)
    found.each("3 share domain", bad, off, "share {:g} not in [0, 1]", dec.ax, **at)
    bad = pd.DataFrame({"z": dec.az, "s": dec.asite, "k": dec.ak, "t": dec.at}).duplicated()
    found.each("3 share domain", bad.to_numpy(), 1.0, "assignment row repeated", **at)

    dev, at = np.abs(state.cover - 1.0), {"service": svc[:, None], "period": t}
    message = "shares sum to {:.9g}, expected 1"
    found.each(
        "4.2 coverage",
        (est.q > 0) & (dev > tol),
        dev,
        message,
        state.cover,
        zone=zid[:, None, None],
        **at,
    )
    load, at = state.load, {"site": sid[:, None], "period": t}
    limit = sc.utilisation_max * state.cap
    message = "load {:,.2f} m2 > U_max * cap = {:,.2f} m2"
    found.each("4.3 capacity", over(load, limit, tol), load - limit, message, load, limit, **at)
    floor = sc.utilisation_min * state.cap
    bad = over(floor, load, tol) & (t >= sc.floor_period)
    message = "load {:,.2f} m2 < U_min * cap = {:,.2f} m2"
    found.each("4.4 utilisation floor", bad, floor - load, message, load, floor, **at)
    load, limit = state.load_k, sc.utilisation_max * est.chat[:, None, None] * state.avail
    message = "load {:,.2f} m2 > U_max * Chat * avail = {:,.2f} m2"
    found.each(
        "4.5 service availability",
        over(load, limit, tol),
        load - limit,
        message,
        load,
        limit,
        site=sid[:, None, None],
        service=svc[:, None],
        period=t,
    )


def _check_pairs(est: Estate, dec: Decisions, found: Findings) -> None:
    """Marriage pairs: real pairs only (sections 2-3), each once, constraint 8."""
    sid, d, reach = est.site_ids.to_numpy(), dec.d, est.sc.marriage_distance_m
    pair = np.array([f"{a} & {b}" for a, b in zip(sid[dec.pa], sid[dec.pb], strict=True)], object)
    at = {"site": pair, "period": dec.pt}
    gap = shapely.distance(est.site_geom[dec.pa], est.site_geom[dec.pb])
    disposable = est.sites["disposable"].to_numpy()
    same = dec.pa == dec.pb
    found.each("3 marriage pair domain", same, 1.0, "a site paired with itself", **at)
    bad = ~same & ~(disposable[dec.pa] & disposable[dec.pb])
    found.each("3 marriage pair domain", bad, 1.0, "both sites must be disposable", **at)
    bad, message = ~same & (gap > reach * (1 + 1e-12)), f"sites {{:,.1f}} m apart > {reach:g} m"
    found.each("3 marriage pair domain", bad, gap - reach, message, gap, **at)
    bad = pd.DataFrame({"a": dec.pa, "b": dec.pb}).duplicated().to_numpy()
    found.each("3 marriage pair domain", bad, 1.0, "pair realised more than once", **at)
    bad = (d[dec.pa] != dec.pt) | (d[dec.pb] != dec.pt)
    message = "the sites are disposed in periods {} and {} (0 = never)"
    found.each("4.8 marriage", bad, 1.0, message, d[dec.pa], d[dec.pb], **at)


def _check_money_and_homes(
    est: Estate, dec: Decisions, state: State, found: Findings, tol: float
) -> None:
    """Constraints 9 (cumulative cash), 10 (receipts target) and 11 (housing, by borough)."""
    sc, T = est.sc, est.periods
    go = dec.u > 0
    capex = np.bincount(dec.u[go] - 1, est.projects["capex"].to_numpy()[go], T)
    spend = np.cumsum(capex + est.sites["beta"].to_numpy() @ state.open)
    cash = np.cumsum(np.asarray(sc.budgets) + sc.receipt_retention * state.receipts)
    message = "cumulative spend {:,.2f} GBP > budgets + retained receipts {:,.2f} GBP"
    found.each(
        "4.9 capital",
        over(spend, cash, tol),
        spend - cash,
        message,
        spend,
        cash,
        period=np.arange(1, T + 1),
    )
    total, target = float(state.receipts.sum()), sc.receipts_target
    if over(target, total, tol):
        found.add(
            "4.10 receipts target",
            target - total,
            f"receipts {total:,.2f} GBP < target {target:,.2f} GBP",
        )
    homes, target = float(state.homes.sum()), sc.housing_target
    if over(target, homes, tol):
        found.add("4.11 housing", target - homes, f"{homes:g} homes < target {target:g}")
    sold = dec.d > 0
    parts = [
        pd.Series(est.sites["housing_units"].to_numpy()[sold], index=est.borough[sold]),
        pd.Series(state.hb_ab / 2, index=est.borough[dec.pa]),
        pd.Series(state.hb_ab / 2, index=est.borough[dec.pb]),
    ]
    homes_by = pd.concat(parts).groupby(level=0).sum()
    for borough, target in sc.housing_by_borough.items():
        have = float(homes_by.get(borough, 0.0))
        if over(target, have, tol):
            message = f"{have:g} homes < borough target {target:g}"
            found.add("4.11 housing", target - have, message, borough=borough)
