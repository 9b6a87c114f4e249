"""Joint versus separate planning: what planning a group of boroughs together gains.

Split rule (``by`` is a column of both sites and zones, default ``borough``): group g
gets the sites and zones with that value, the projects on its sites, the travel pairs
between them and the locks naming them. Shared requirements are split pro rata to
population: with ``share_g = population of g's zones / total population``, g gets
``share_g`` of the capital budget of every period, of the receipts target and of the
housing target; a ``[housing] by_borough`` target ``H_b`` is split over groups by their
share of borough b's population. The shares add up to the whole, every constraint of
MODEL.md section 4 is a sum over sites, projects, zones and pairs, and the NPV is a sum of
the same terms, so the union of the separate plans is a plan of the joint problem with
NPV = the sum of the separate NPVs. The union is checked with :func:`estates_opt.check`
against the joint instance; when it passes and the joint solve returns a lower NPV
(possible within the MIP gap or a time limit), the union is taken as the joint plan, so
the reported gain is never negative.

Where the gain comes from: demand served across a group boundary in the joint plan
(zone group != site group) and marriage pairs realised across the boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.check import check
from estates_opt.instance import Instance, group_names
from estates_opt.optimize.options import MEASURE_GAP
from estates_opt.scenarios.run import PlanRecord, Progress, solve_many

__all__ = ["GovernanceResult", "compare_governance", "split_instance"]

_MEASURES = ("objective", "housing_units", "receipts", "sites_disposed", "capex")


@dataclass(frozen=True, eq=False)
class GovernanceResult:
    """``groups``: one row per group (separate plans) plus ``separate total``, ``joint`` and
    ``gain`` rows; ``cross_boundary``: demand (m2, last period) served across boundaries
    by (zone group, site group); ``cross_pairs``: marriage pairs across a boundary;
    ``decisions``: sites whose decision differs between joint and separate planning.
    """

    by: str
    groups: pd.DataFrame
    gain: dict[str, float | None]
    separate_feasible: bool
    joint_from_union: bool
    cross_boundary: pd.DataFrame
    cross_pairs: pd.DataFrame
    decisions: pd.DataFrame
    joint: PlanRecord | None = None
    separate: dict[str, PlanRecord] = field(default_factory=dict)
    message: str = ""


def split_instance(instance: Instance, by: str = "borough") -> dict[str, Instance]:
    """One instance per group (targets and budget shared by population)."""
    return {group: instance.subset([group], by=by) for group in group_names(instance, by)}


def _union(records: Mapping[str, PlanRecord]) -> PlanRecord:
    def cat(attr: str) -> pd.DataFrame:
        frames = [getattr(r, attr) for r in records.values()]
        return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)

    objective = float(sum(r.objective or 0.0 for r in records.values()))
    return PlanRecord(
        "separate union",
        "feasible",
        objective,
        cat("site_decisions"),
        cat("project_decisions"),
        cat("assignments"),
        cat("marriage_pairs"),
    )


def _measures(record: PlanRecord) -> dict[str, float]:
    sd, pj, mp = record.site_decisions, record.project_decisions, record.marriage_pairs
    return {
        "objective": float(record.objective or 0.0),
        "housing_units": float(
            sd["housing_units"].fillna(0).sum()
            + (mp["housing_uplift"].sum() if not mp.empty else 0.0)
        ),
        "receipts": float(
            sd["receipt"].fillna(0).sum() + (mp["value_uplift"].sum() if not mp.empty else 0.0)
        ),
        "sites_disposed": float((sd["decision"] == "dispose").sum()),
        "capex": float(pj["capex"].fillna(0).sum()) if not pj.empty else 0.0,
    }


def compare_governance(
    instance: Instance,
    by: str = "borough",
    *,
    client: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    cache_dir: str | Path | None = None,
    solver: str = "highs",
    mip_gap: float = MEASURE_GAP,
    time_limit: float | None = None,
    threads: int | None = 1,
    progress: Progress | None = None,
) -> GovernanceResult:
    """Solve each group alone (in parallel on Dask) and all jointly, and compare.

    Examples
    --------
    >>> # r = compare_governance(inst, by="borough"); r.groups; r.gain; r.cross_boundary
    """
    parts = split_instance(instance, by)
    options = {"solver": solver, "mip_gap": mip_gap, "time_limit": time_limit, "threads": threads}
    names = [*parts, "joint"]
    jobs: list[tuple[Instance, Mapping[str, Any]]] = [(p, {}) for p in parts.values()]
    jobs.append((instance, {}))
    done = [0]

    def on_result(i: int, result: dict[str, Any], cached: bool) -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], len(jobs), {"scenario": names[i], **result["row"], "cached": cached})

    results = solve_many(
        jobs,
        client=client,
        scheduler=scheduler,
        n_workers=n_workers,
        cache_dir=cache_dir,
        options=options,
        on_result=on_result,
    )
    separate: dict[str, PlanRecord] = {}
    rows = []
    for group, (result, _) in zip(parts, results[:-1], strict=True):
        row = result["row"]
        entry = {"group": group, "status": row["status"], "error": row.get("error", "")}
        if result.get("tables"):
            separate[group] = PlanRecord.from_tables(group, row, result["tables"])
            entry.update(_measures(separate[group]))
        rows.append(entry)
    joint_result = results[-1][0]
    separate_feasible = len(separate) == len(parts)
    joint = None
    if joint_result.get("tables"):
        joint = PlanRecord.from_tables("joint", joint_result["row"], joint_result["tables"])
    union = _union(separate) if separate_feasible else None
    union_ok = False
    message = ""
    if union is not None:
        report = check(instance, union, tol=1e-6)
        union_ok = report.ok
        if not union_ok:
            message = "the union of the separate plans fails the joint check: " + "; ".join(
                str(v) for v in list(getattr(report, "violations", []))[:3]
            )
    else:
        message = "a group has no separate plan: " + ", ".join(
            r["group"] for r in rows if r["group"] not in separate
        )
    joint_from_union = False
    if (
        union is not None
        and union_ok
        and (joint is None or (joint.objective or 0.0) < (union.objective or 0.0))
    ):
        joint, joint_from_union = union, True
        message = message or "the joint solve fell short of the separate union; union used"
    totals: dict[str, Any] = {
        "group": "separate total", "status": "feasible" if separate_feasible else "-"
    }  # fmt: skip
    if separate_feasible:
        totals.update({m: float(sum(r[m] for r in rows)) for m in _MEASURES})
    rows.append(totals)
    joint_row: dict[str, Any] = {
        "group": "joint",
        "status": "from union" if joint_from_union else joint_result["row"]["status"],
    }
    if joint is not None:
        joint_row.update(_measures(joint))
    rows.append(joint_row)
    gain: dict[str, float | None] = {m: None for m in _MEASURES}
    if separate_feasible and joint is not None:
        gain = {m: joint_row[m] - totals[m] for m in _MEASURES}
    rows.append({"group": "gain", "status": "", **gain})
    groups = pd.DataFrame(rows)
    cross, pairs, decisions = _attribution(instance, by, joint, union)
    return GovernanceResult(
        by=by,
        groups=groups,
        gain=gain,
        separate_feasible=separate_feasible,
        joint_from_union=joint_from_union,
        cross_boundary=cross,
        cross_pairs=pairs,
        decisions=decisions,
        joint=joint,
        separate=separate,
        message=message,
    )


def _attribution(
    instance: Instance, by: str, joint: PlanRecord | None, union: PlanRecord | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    site_group = dict(zip(instance.sites["site_id"], instance.sites[by].astype(str), strict=True))
    zone_group = dict(zip(instance.zones["zone_id"], instance.zones[by].astype(str), strict=True))
    cross = pd.DataFrame(columns=["zone_group", "site_group", "service", "demand_m2", "zones"])
    pairs = pd.DataFrame(
        columns=["site_a", "site_b", "group_a", "group_b", "period", "value_uplift"]
    )
    decisions = pd.DataFrame(columns=["site_id", "group", "joint", "separate"])
    if joint is None:
        return cross, pairs, decisions
    a = joint.assignments
    if not a.empty:
        sc = instance.scenario
        last = a[a["period"] == sc.periods].copy()
        pop = dict(
            zip(instance.zones["zone_id"], instance.zones["population"].astype(float), strict=True)
        )
        sigma = {k: s.space_per_1000 for k, s in sc.services.items()}
        growth = sc.growth_factors[-1]
        last["demand_m2"] = (
            last["zone_id"].map(pop) * last["service"].map(sigma) / 1000.0 * growth * last["share"]
        )
        last["zone_group"] = last["zone_id"].map(zone_group)
        last["site_group"] = last["site_id"].map(site_group)
        moved = last[last["zone_group"] != last["site_group"]]
        if not moved.empty:
            cross = moved.groupby(["zone_group", "site_group", "service"], as_index=False).agg(
                demand_m2=("demand_m2", "sum"), zones=("zone_id", "nunique")
            )
    mp = joint.marriage_pairs
    if not mp.empty:
        mp = mp.assign(group_a=mp["site_a"].map(site_group), group_b=mp["site_b"].map(site_group))
        pairs = mp.loc[mp["group_a"] != mp["group_b"], list(pairs.columns)].reset_index(drop=True)
    j = joint.site_decisions.set_index("site_id")["decision"]
    s = (
        union.site_decisions.set_index("site_id")["decision"]
        if union is not None
        else pd.Series(dtype=object)
    )
    differ = [sid for sid in j.index if sid in s.index and j[sid] != s[sid]]
    decisions = pd.DataFrame(
        {
            "site_id": differ,
            "group": [site_group[sid] for sid in differ],
            "joint": [j[sid] for sid in differ],
            "separate": [s[sid] for sid in differ],
        }
    )
    return cross, pairs, decisions
