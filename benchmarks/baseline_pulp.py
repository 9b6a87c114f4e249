"""The straightforward PuLP build of MODEL.md, as a peer library would write it.

One ``LpVariable`` per element and one ``lpSum`` per constraint, written from the
instance's tables with dicts and loops (never from :class:`~estates_opt.model.arrays.
ModelArrays`), with MODEL.md's own big-M ``U_max * Chat_s``. Only the derived data of
MODEL.md section 2 that every implementation needs (reach arcs, marriage pairs, hosted
services) comes from :mod:`estates_opt.geo`, so both builds pay for the same geometry.

It is the yardstick of issue 5: :func:`build_pulp` times against ``build_model``, and
:func:`solve_cbc` / :func:`solve_highs` hand it to CBC and to plain HiGHS (through
PuLP's highspy interface) beside our own solve.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import estates_opt.backends.pulp as _safe_pulp  # imports PuLP without its RTLD_GLOBAL load
from estates_opt.backends.cbc import cbc_path
from estates_opt.geo import hosted_services, marriage_pairs, reach_arcs
from estates_opt.instance import Instance, split_services

pulp = _safe_pulp.pulp

__all__ = ["PulpModel", "build_pulp", "solve_cbc", "solve_highs"]


@dataclass
class PulpModel:
    """The ``LpProblem`` and its variables by MODEL.md symbol."""

    prob: Any
    d: dict[tuple[int, int], Any]
    u: dict[tuple[int, int], Any]
    x: dict[tuple[int, int, int, int], Any]
    w: dict[tuple[int, int], Any]
    stats: dict[str, int] = field(default_factory=dict)


def build_pulp(instance: Instance) -> PulpModel:
    """MODEL.md sections 3-5 as a PuLP maximisation problem (periods 1-based)."""
    sc = instance.scenario
    sites, zones, projects = instance.sites, instance.zones, instance.projects
    T, L = sc.periods, sc.period_years
    periods = range(1, T + 1)
    delta = {t: (1 + sc.discount_rate) ** (-(t - 1) * L) for t in periods}
    services = list(sc.services)
    pop = {
        (z, t): float(p) * (1 + sc.growth_per_year) ** ((t - 1) * L)
        for z, p in enumerate(zones["population"])
        for t in periods
    }
    sigma = {k: sc.services[name].space_per_1000 for k, name in enumerate(services)}
    tau = {k: sc.services[name].travel_cost_per_person_km for k, name in enumerate(services)}
    q = {(z, k, t): pop[z, t] * sigma[k] / 1000.0 for (z, t) in pop for k in sigma}

    site_rows = sites.to_dict("records")
    project_rows = projects.to_dict("records")
    site_pos = {row["site_id"]: i for i, row in enumerate(site_rows)}
    base, _ = hosted_services(instance)
    beta = {s: row["backlog_cost"] / T for s, row in enumerate(site_rows)}
    kept, must_go = set(sc.keep), set(sc.dispose)
    disposable = {
        s for s, row in enumerate(site_rows) if row["disposable"] and row["site_id"] not in kept
    }
    at_site: dict[int, list[int]] = defaultdict(list)
    for p, row in enumerate(project_rows):
        at_site[site_pos[row["site_id"]]].append(p)
    c_hat = {
        s: row["capacity_m2"] + sum(project_rows[p]["added_capacity_m2"] for p in at_site[s])
        for s, row in enumerate(site_rows)
    }
    arcs = reach_arcs(instance)
    pairs = marriage_pairs(instance)

    prob = pulp.LpProblem("estates_straightforward", pulp.LpMaximize)

    # --- variables ---------------------------------------------------------------
    d = {}
    for s in disposable:
        for t in periods:
            if t >= site_rows[s]["earliest_disposal"]:
                d[s, t] = prob.add_variable(f"d_{s}_{t}", 0, 1, cat=pulp.LpBinary)
    u = {}
    for p, row in enumerate(project_rows):
        if row["project_id"] in sc.forbid:
            continue
        for t in periods:
            if row["earliest_start"] <= t <= T - row["build_periods"]:
                u[p, t] = prob.add_variable(f"u_{p}_{t}", 0, 1, cat=pulp.LpBinary)
    x = {}
    distance = {}
    for z, s, k, dist in arcs.itertuples(index=False):
        distance[z, s, k] = dist
        for t in periods:
            x[z, s, k, t] = prob.add_variable(f"x_{z}_{s}_{k}_{t}", 0, 1)
    pair_list = list(pairs.itertuples(index=False, name=None))
    w = {}
    for ab in range(len(pair_list)):
        for t in periods:
            w[ab, t] = prob.add_variable(f"w_{ab}_{t}", 0, 1)

    def closed(s: int, t: int) -> Any:
        """1 - open[s, t]."""
        return pulp.lpSum(d[s, tau] for tau in periods if tau <= t and (s, tau) in d)

    def built(p: int, t: int) -> Any:
        b = project_rows[p]["build_periods"]
        return pulp.lpSum(u[p, tau] for tau in periods if tau <= t - b and (p, tau) in u)

    def cap(s: int, t: int) -> Any:
        return site_rows[s]["capacity_m2"] * (1 - closed(s, t)) + pulp.lpSum(
            project_rows[p]["added_capacity_m2"] * built(p, t) for p in at_site[s]
        )

    m_ab = {
        ab: sc.marriage_value_uplift * (site_rows[a]["market_value"] + site_rows[b]["market_value"])
        for ab, (a, b) in enumerate(pair_list)
    }
    hb_ab = {
        ab: sc.marriage_housing_uplift
        * (site_rows[a]["housing_units"] + site_rows[b]["housing_units"])
        for ab, (a, b) in enumerate(pair_list)
    }

    def receipts(t: int) -> Any:
        return pulp.lpSum(
            site_rows[s]["market_value"] * d[s, t] for s in disposable if (s, t) in d
        ) + pulp.lpSum(m_ab[ab] * w[ab, t] for ab in range(len(pair_list)))

    by_site: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    by_zone: dict[tuple[int, int], list[int]] = defaultdict(list)
    for z, s, k in distance:
        by_site[s, k].append((z, k))
        by_zone[z, k].append(s)

    # --- constraints -------------------------------------------------------------
    for s in disposable:
        once = pulp.lpSum(d[s, t] for t in periods if (s, t) in d)
        if site_rows[s]["site_id"] in must_go:
            prob += once == 1, f"once_site_{s}"
        else:
            prob += once <= 1, f"once_site_{s}"
    for p, row in enumerate(project_rows):
        once = pulp.lpSum(u[p, t] for t in periods if (p, t) in u)
        if row["project_id"] in sc.build:
            prob += once == 1, f"once_project_{p}"
        else:
            prob += once <= 1, f"once_project_{p}"
    for (z, k), reach in by_zone.items():
        for t in periods:
            if q[z, k, t] > 0:
                prob += pulp.lpSum(x[z, s, k, t] for s in reach) == 1, f"cover_{z}_{k}_{t}"
    for z in range(len(zones)):  # zones with demand and no arc at all: infeasible, as written
        for k in sigma:
            if (z, k) not in by_zone and q[z, k, 1] > 0:
                prob += pulp.lpSum([]) == 1, f"cover_{z}_{k}_none"
    site_arcs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (s, _k), zk in by_site.items():
        site_arcs[s].extend(zk)
    for s in range(len(site_rows)):
        for t in periods:
            load = pulp.lpSum(q[z, k, t] * x[z, s, k, t] for z, k in site_arcs[s])
            prob += load <= sc.utilisation_max * cap(s, t), f"capacity_{s}_{t}"
            if sc.utilisation_min > 0 and t >= sc.floor_period:
                prob += load >= sc.utilisation_min * cap(s, t), f"floor_{s}_{t}"
    for (s, k), zk in by_site.items():
        name = services[k]
        for t in periods:
            avail = (name in base[s]) * (1 - closed(s, t)) + pulp.lpSum(
                built(p, t)
                for p in at_site[s]
                if name in split_services(project_rows[p]["services"])
            )
            load = pulp.lpSum(q[z, k, t] * x[z, s, k, t] for z, _ in zk)
            prob += load <= sc.utilisation_max * c_hat[s] * avail, f"avail_{s}_{k}_{t}"
    for p, row in enumerate(project_rows):
        s = site_pos[row["site_id"]]
        if s in disposable:
            prob += (
                (
                    pulp.lpSum(u[p, t] for t in periods if (p, t) in u)
                    + pulp.lpSum(d[s, t] for t in periods if (s, t) in d)
                    <= 1
                ),
                f"project_site_{p}",
            )
    groups: dict[str, list[int]] = defaultdict(list)
    for p, row in enumerate(project_rows):
        if row["exclusive_group"]:
            groups[str(row["exclusive_group"])].append(p)
    for g, members in groups.items():
        prob += (
            pulp.lpSum(u[p, t] for p in members for t in periods if (p, t) in u) <= 1,
            f"group_{g}",
        )
    for ab, (a, b) in enumerate(pair_list):
        for t in periods:
            prob += w[ab, t] <= pulp.lpSum([d[a, t]] if (a, t) in d else []), f"wa_{ab}_{t}"
            prob += w[ab, t] <= pulp.lpSum([d[b, t]] if (b, t) in d else []), f"wb_{ab}_{t}"
    capex = {p: row["capex"] for p, row in enumerate(project_rows)}
    budgets = sc.budgets
    for t in periods:
        spend = pulp.lpSum(capex[p] * u[p, tau] for (p, tau) in u if tau <= t) + pulp.lpSum(
            beta[s] * (1 - closed(s, tau))
            for s in range(len(site_rows))
            for tau in periods
            if tau <= t
        )
        funds = sum(budgets[tau - 1] for tau in periods if tau <= t) + sc.receipt_retention * (
            pulp.lpSum(receipts(tau) for tau in periods if tau <= t)
        )
        prob += spend <= funds, f"cash_{t}"
    if sc.receipts_target > 0:
        prob += pulp.lpSum(receipts(t) for t in periods) >= sc.receipts_target, "receipts"
    homes = {s: row["housing_units"] for s, row in enumerate(site_rows)}
    if sc.housing_target > 0:
        prob += (
            (
                pulp.lpSum(homes[s] * v for (s, _), v in d.items())
                + pulp.lpSum(hb_ab[ab] * v for (ab, _), v in w.items())
                >= sc.housing_target
            ),
            "housing",
        )
    for borough, target in sc.housing_by_borough.items():
        mine = {s for s, row in enumerate(site_rows) if str(row["borough"]) == borough}
        prob += (
            (
                pulp.lpSum(homes[s] * v for (s, _), v in d.items() if s in mine)
                + pulp.lpSum(
                    hb_ab[ab] / 2 * ((pair_list[ab][0] in mine) + (pair_list[ab][1] in mine)) * v
                    for (ab, _), v in w.items()
                )
                >= target
            ),
            f"housing_{borough}",
        )

    # --- objective ---------------------------------------------------------------
    running = {s: row["running_cost"] for s, row in enumerate(site_rows)}
    prob += pulp.lpSum(
        delta[t]
        * (
            receipts(t)
            + pulp.lpSum((L * running[s] + beta[s]) * closed(s, t) for s in disposable)
            - pulp.lpSum(capex[p] * u[p, t] for p in range(len(project_rows)) if (p, t) in u)
            - pulp.lpSum(
                L * project_rows[p]["running_cost_delta"] * built(p, t)
                for p in range(len(project_rows))
            )
            - pulp.lpSum(
                L * tau[k] * pop[z, t] * (distance[z, s, k] / 1000.0) * x[z, s, k, t]
                for (z, s, k) in distance
            )
        )
        for t in periods
    )
    stats = {
        "variables": len(d) + len(u) + len(x) + len(w),
        "constraints": prob.numConstraints(),
    }
    return PulpModel(prob, d, u, x, w, stats)


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - began


def _value(model: PulpModel) -> float | None:
    value = pulp.value(model.prob.objective)
    return None if value is None else float(value)


def solve_cbc(model: PulpModel, *, mip_gap: float, time_limit: float) -> dict[str, Any]:
    """Hand the model to CBC (``COIN_CMD``) and solve; bound and gap from CBC's log.

    ``handoff_s`` is a separate ``writeMPS`` of the model, the file CBC reads;
    ``solve_s`` the whole ``prob.solve`` call (which writes it again, runs CBC and
    reads the solution back).
    """
    with tempfile.TemporaryDirectory(prefix="bench_cbc_") as tmp:
        _, handoff = _timed(model.prob.writeMPS, str(Path(tmp) / "model.mps"))
        log = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=cbc_path(),
            msg=False,
            timeLimit=time_limit,
            gapRel=mip_gap,
            logPath=str(log),
        )
        status, seconds = _timed(model.prob.solve, solver)
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    objective = _value(model) if model.prob.sol_status in (1, 2) else None
    bound = _log_number(text, r"^(?:Lower|Upper) bound:\s+(\S+)")
    gap = _log_number(text, r"^Gap:\s+(\S+)")
    gap = None if gap is None else abs(gap)
    if gap is None and objective is not None and re.search(r"^Result - Optimal", text, re.M):
        gap = mip_gap  # stopped at the requested gap: CBC prints no bound then
    return {
        "solver": "pulp-cbc",
        "handoff_s": handoff,
        "solve_s": seconds,
        "status": pulp.LpStatus.get(status, str(status)),
        "sol_status": pulp.LpSolution.get(model.prob.sol_status, str(model.prob.sol_status)),
        "objective": objective,
        "bound": bound,
        "gap": gap,
    }


def _log_number(text: str, pattern: str) -> float | None:
    found = re.findall(pattern, text, flags=re.MULTILINE)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


def solve_highs(model: PulpModel, *, mip_gap: float, time_limit: float) -> dict[str, Any]:
    """Hand the model to HiGHS through PuLP's highspy interface and solve.

    ``handoff_s`` is PuLP building the highspy model (column and row calls), ``solve_s``
    HiGHS itself plus reading the solution back.
    """
    solver = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=mip_gap)
    prob = model.prob

    def handoff() -> None:
        solver.createAndConfigureSolver(prob)
        solver.buildSolverModel(prob)

    _, handoff_s = _timed(handoff)

    def run() -> Any:
        solver.callSolver(prob)
        status, sol_status = solver.findSolutionValues(prob)
        prob.assignStatus(status, sol_status)
        return status

    status, seconds = _timed(run)
    highs = prob.solverModel
    info = highs.getInfo()
    has_solution = prob.sol_status in (1, 2)
    objective = _value(model) if has_solution else None
    sign = -1.0 if prob.sense == pulp.LpMaximize else 1.0  # PuLP hands HiGHS -NPV
    bound = sign * float(info.mip_dual_bound) if has_solution else None
    gap = float(info.mip_gap) if has_solution else None
    return {
        "solver": "pulp-highs",
        "handoff_s": handoff_s,
        "solve_s": seconds,
        "status": pulp.LpStatus.get(status, str(status)),
        "sol_status": pulp.LpSolution.get(prob.sol_status, str(prob.sol_status)),
        "objective": objective,
        "bound": bound,
        "gap": gap,
    }
