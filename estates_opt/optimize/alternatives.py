"""Near-optimal alternatives: up to k plans within a band of the optimum that differ in
which sites they dispose of.

Method (an "integer cut" enumeration, the same idea as modelling-to-generate-alternatives
with no-good cuts):

1. Build the canonical model once (plus the scenario's ``[equity]`` rules and any custom
   rules) and solve it: NPV* is the optimum.
2. Add the objective floor ``NPV(v) >= NPV* - within * |NPV*|`` (written this way so a
   negative optimum also gets a floor *below* it).
3. Let ``y_s = sum_t d[s, t]`` (1 when site s is disposed in any period). For every plan j
   found, with disposed set ``D_j``, add the Hamming-distance cut
   ``sum_{s in D_j} (1 - y_s) + sum_{s not in D_j} y_s >= min_difference`` and re-solve
   (maximising NPV again, so plans come out best first).
4. Stop when the cut model is infeasible (proved: no further plan within the band, the
   list is complete) or when k plans are found.

Plans that differ only in *when* a site is sold, or in projects and assignments, count as
the same alternative: a board weighs which sites go. The previous plan breaks the new cut
by construction, so it is not passed as a MIP start; every re-solve starts cold.

When every solve is optimal and ``min_difference = 1`` the plans are the best disposal
sets in NPV order, so the first plan that flips a site's choice is the best plan making
that choice, and ``npv_given_up`` in :attr:`Alternatives.table` is exact. With a time
limit or a gap each figure is what the plans found show, an upper bound on the true loss.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estates_opt.backends.base import SolveOptions, get_backend
from estates_opt.check import check
from estates_opt.equity import equity_rules
from estates_opt.errors import EstatesOptError
from estates_opt.instance import Instance
from estates_opt.io.output_guard import atomic_folder
from estates_opt.io.plan_write import write_plan
from estates_opt.model.arrays import ModelArrays
from estates_opt.model.build import build_model
from estates_opt.model.rules import Rule, apply_rules
from estates_opt.optimize.extract import plan_from_solution
from estates_opt.optimize.options import DEFAULT_MIP_GAP
from estates_opt.optimize.run import run_backend
from estates_opt.plan import Plan
from estates_opt.status import Status

__all__ = ["Alternatives", "alternatives", "write_alternatives"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Alternatives:
    """Near-optimal plans, best first, and what they have in common.

    ``plans`` are the alternatives (``plans[0]`` is the optimum); ``optimum`` the NPV of
    the first solve and ``floor`` the lowest NPV admitted; ``exhausted`` is True when
    the search proved that no further plan exists within the band, and ``reason`` says
    why the search stopped. ``table`` has one row per site that could be disposed:
    ``status`` (``core``: disposed in every plan, ``never``: in none, ``open choice``:
    in some), ``disposed_in`` (number of plans), ``optimum_choice``, ``npv_given_up``
    (for an open choice: NPV* minus the best plan found making the other choice) and one
    column per plan with its disposal period (blank: retained). ``summary`` has one row
    per plan.
    """

    plans: tuple[Plan, ...]
    optimum: float | None
    floor: float | None
    within: float
    min_difference: int
    exhausted: bool
    reason: str
    table: pd.DataFrame
    summary: pd.DataFrame
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.plans)

    def __repr__(self) -> str:
        state = "complete" if self.exhausted else "stopped"
        opt = "-" if self.optimum is None else f"£{self.optimum:,.0f}"
        return (
            f"Alternatives: {len(self.plans)} plan(s) within {self.within:.2%} of {opt} NPV "
            f"({state}: {self.reason}; {self.seconds:.1f} s)"
        )


def _disposal_matrix(model: ModelArrays, num_sites: int) -> sp.csr_array:
    """(S, n) matrix whose row s sums d[s, t] over t: ``y = Y @ v``."""
    d = model.blocks["d"]
    return sp.csr_array(
        (np.ones(d.size), (d.index["site"], d.columns)), shape=(num_sites, model.num_cols)
    )


def _cut(
    y_matrix: sp.csr_array, disposed: np.ndarray, has_d: np.ndarray, m: int
) -> tuple[sp.csr_array, float]:
    """Row ``sum_{s in D}(1 - y_s) + sum_{s not in D} y_s >= m`` as (row, lower)."""
    sign = np.where(disposed, -1.0, 1.0) * has_d
    row = sp.csr_array(sign[None, :] @ y_matrix)
    return row, float(m - (disposed & has_d).sum())


def _status_of(count: int, total: int) -> str:
    return "core" if count == total else "never" if count == 0 else "open choice"


def _tables(
    instance: Instance, plans: Sequence[Plan], candidates: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The core / open-choice table over sites and the per-plan summary."""
    sites = instance.sites
    periods = (
        np.vstack([p.sites["dispose_period"].fillna(0).to_numpy(dtype=np.int64) for p in plans])
        if plans
        else np.zeros((0, len(sites)), dtype=np.int64)
    )
    objectives = np.array([p.objective for p in plans], dtype=float)
    chosen = periods > 0
    table = pd.DataFrame(
        {
            "site_id": sites["site_id"].to_numpy(),
            "name": sites["name"].astype(str).to_numpy(),
            "borough": sites["borough"].astype(str).to_numpy(),
        }
    )
    count = chosen.sum(axis=0) if len(plans) else np.zeros(len(sites), dtype=int)
    table["status"] = [_status_of(int(c), len(plans)) for c in count]
    table["disposed_in"] = count
    optimum_choice = chosen[0] if len(plans) else np.zeros(len(sites), dtype=bool)
    table["optimum_choice"] = np.where(optimum_choice, "dispose", "retain")
    given_up = np.full(len(sites), np.nan)
    best_other = pd.array([pd.NA] * len(sites), dtype="Int64")
    for s in np.flatnonzero((count > 0) & (count < len(plans))):
        other = np.flatnonzero(chosen[:, s] != optimum_choice[s])
        j = other[np.argmax(objectives[other])]
        given_up[s] = objectives[0] - objectives[j]
        best_other[s] = j + 1
    table["npv_given_up"] = given_up
    table["best_other_plan"] = best_other
    for j in range(len(plans)):
        table[f"alt_{j + 1:02d}"] = pd.array(np.where(chosen[j], periods[j], pd.NA), dtype="Int64")
    table = table[candidates | (count > 0)].reset_index(drop=True)
    order = {"open choice": 0, "core": 1, "never": 2}
    table = table.sort_values(
        ["status", "npv_given_up", "site_id"],
        key=lambda c: c.map(order) if c.name == "status" else c,
        ignore_index=True,
    )
    rows = []
    for j, plan in enumerate(plans):
        differs = chosen[j] != optimum_choice
        rows.append(
            {
                "alternative": f"alt_{j + 1:02d}",
                "status": plan.status.value,
                "objective": plan.objective,
                "npv_given_up": objectives[0] - objectives[j],
                "npv_given_up_pct": (objectives[0] - objectives[j]) / max(abs(objectives[0]), 1),
                "sites_disposed": int(chosen[j].sum()),
                "differs_from_optimum": int(differs.sum()),
                "disposed_only_here": ";".join(sites["site_id"][chosen[j] & ~optimum_choice]),
                "retained_only_here": ";".join(sites["site_id"][~chosen[j] & optimum_choice]),
                "receipts": plan.kpis.get("receipts"),
                "housing_units": plan.kpis.get("housing_units"),
                "projects_built": plan.kpis.get("projects_built"),
                "solve_s": plan.timings.get("solve_s"),
            }
        )
    return table, pd.DataFrame(rows)


def alternatives(
    instance: Instance,
    k: int = 10,
    within: float = 0.02,
    min_difference: int = 1,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = DEFAULT_MIP_GAP,
    *,
    rules: Sequence[Rule] = (),
    check_plans: bool = True,
) -> Alternatives:
    """Up to ``k`` plans with NPV within ``within`` (relative) of the optimum that differ
    from each other in the disposal of at least ``min_difference`` sites.

    Parameters
    ----------
    instance : the validated instance (its ``[equity]`` table is applied).
    k : most plans to return, the optimum included.
    within : relative band, e.g. 0.02: every plan has ``NPV >= NPV* - 0.02 |NPV*|``.
    min_difference : Hamming distance, in sites disposed or retained, between any two plans.
    solver, time_limit, mip_gap : as for :func:`estates_opt.optimize.solve`; the time limit and
        gap apply to each solve. A plan stopped by the time limit is still within the band
        (the floor is a constraint) but may not be the best remaining one.
    rules : extra custom rules, as for :func:`estates_opt.optimize.solve`.
    check_plans : run :func:`estates_opt.check` on every plan (raise if one fails).

    Returns
    -------
    Alternatives

    Examples
    --------
    >>> alts = alternatives(inst, k=5, within=0.02)  # doctest: +SKIP
    >>> alts.table.query("status == 'open choice'")  # doctest: +SKIP
    """
    if k < 1 or not within >= 0 or min_difference < 1:
        raise EstatesOptError(
            f"expected k >= 1, within >= 0 and min_difference >= 1, got k={k}, "
            f"within={within}, min_difference={min_difference}."
        )
    began = time.perf_counter()
    backend = get_backend(solver)
    options = SolveOptions(mip_gap=mip_gap, time_limit=time_limit)
    model = build_model(instance)
    apply_rules(model, instance, [*equity_rules(instance), *rules])
    build_s = time.perf_counter() - began
    num_sites = len(instance.sites)
    y_matrix = _disposal_matrix(model, num_sites)
    has_d = np.bincount(model.blocks["d"].index["site"], minlength=num_sites) > 0
    locked = instance.sites["site_id"].isin(instance.scenario.dispose).to_numpy()

    plans: list[Plan] = []
    optimum = floor = None
    reason = ""
    exhausted = False
    while len(plans) < k:
        result = run_backend(backend, model, options, None)
        log.info("alternative %d: %s in %.2f s", len(plans) + 1, result.status.value,
                 result.solve_seconds)  # fmt: skip
        if result.status is Status.INFEASIBLE:
            exhausted = bool(plans)
            reason = (
                f"proved: no further plan within {within:.2%} differs in >= {min_difference} "
                "site(s) from those found"
                if plans
                else "the instance is infeasible"
            )
            break
        if not result.status.has_solution:
            reason = f"no plan found within the time limit ({result.message or 'no solution'})"
            break
        timings = {"build_s": build_s if not plans else 0.0, "solve_s": result.solve_seconds}
        plan = plan_from_solution(instance, model, result, timings)
        if check_plans:
            check(instance, plan).raise_if_failed()
        plans.append(plan)
        if optimum is None:
            optimum = float(plan.objective)  # type: ignore[arg-type]
            floor = optimum - within * abs(optimum)
            row = sp.csr_array(model.cost[None, :])
            model.add_rows(row, np.array([floor - model.objective_offset]), np.array([np.inf]),
                           "custom")  # fmt: skip
        assert result.solution is not None
        disposed = (y_matrix @ result.solution > 0.5) | locked
        row, lower = _cut(y_matrix, disposed, has_d, min_difference)
        model.add_rows(row, np.array([lower]), np.array([np.inf]), "custom")
    else:
        reason = f"stopped at k = {k} plans; more may exist within the band"
    table, summary = _tables(instance, plans, has_d)
    return Alternatives(
        plans=tuple(plans),
        optimum=optimum,
        floor=floor,
        within=within,
        min_difference=min_difference,
        exhausted=exhausted,
        reason=reason,
        table=table,
        summary=summary,
        seconds=time.perf_counter() - began,
    )


def write_alternatives(
    alts: Alternatives, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write ``alt_01/`` ... (MODEL.md section 6 files each), ``alternatives.csv`` (the
    core / open-choice table) and ``alternatives_summary.csv`` into ``out_dir``, atomically.
    """
    with atomic_folder(out_dir, kind="alternatives", overwrite=overwrite) as tmp:
        for j, plan in enumerate(alts.plans):
            write_plan(plan, tmp / f"alt_{j + 1:02d}")
        alts.table.to_csv(tmp / "alternatives.csv", index=False, lineterminator="\n")
        summary = alts.summary.copy()
        summary.attrs = {}
        summary.to_csv(tmp / "alternatives_summary.csv", index=False, lineterminator="\n")
        note = (
            f"optimum,{alts.optimum}\nfloor,{alts.floor}\nwithin,{alts.within}\n"
            f"min_difference,{alts.min_difference}\nplans,{len(alts.plans)}\n"
            f'exhausted,{str(alts.exhausted).lower()}\nreason,"{alts.reason}"\n'
            f"seconds,{alts.seconds:.3f}\n"
        )
        (tmp / "alternatives_search.csv").write_text("key,value\n" + note, encoding="utf-8")
    return Path(out_dir)
