"""Solution vector -> :class:`Plan`: decision tables, cash flow, KPIs and reasons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from estates_opt.backends.base import SolverResult
from estates_opt.instance import Instance, split_services
from estates_opt.model.arrays import ModelArrays
from estates_opt.plan import Kpis, Plan
from estates_opt.status import Status

__all__ = ["empty_plan", "plan_from_solution"]

SHARE_EPS = 1e-9


def _decisions(model: ModelArrays, solution: np.ndarray, S: int, P: int) -> tuple[np.ndarray, ...]:
    """Dispose period per site and start period per project (0 = never), realised pairs."""
    d, u, w = (model.blocks[b] for b in ("d", "u", "w"))
    dispose = np.zeros(S, dtype=np.int64)
    chosen = d.values(solution) > 0.5
    dispose[d.index["site"][chosen]] = d.index["period"][chosen] + 1
    start = np.zeros(P, dtype=np.int64)
    chosen = u.values(solution) > 0.5
    start[u.index["project"][chosen]] = u.index["period"][chosen] + 1
    realised = w.values(solution) > 0.5
    return dispose, start, w.index["pair"][realised], w.index["period"][realised] + 1


def _site_period_state(
    instance: Instance,
    model: ModelArrays,
    solution: np.ndarray,
    dispose: np.ndarray,
    start: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """load[s, t], cap[s, t] (m2) and open[s, t] (bool) of the plan."""
    S, T = len(instance.sites), model.periods
    x = model.blocks["x"]
    site = model.arcs["site"].to_numpy()[x.index["arc"]]
    load = np.zeros((S, T))
    np.add.at(load, (site, x.index["period"]), x.index["demand"] * x.values(solution))
    periods = np.arange(1, T + 1)
    is_open = (dispose[:, None] == 0) | (periods[None, :] < dispose[:, None])
    cap = instance.sites["capacity_m2"].to_numpy(dtype=float)[:, None] * is_open
    projects = instance.projects
    site_pos = pd.Series(np.arange(S), index=instance.sites["site_id"])
    p_site = site_pos.loc[projects["site_id"]].to_numpy()
    ready = np.where(start > 0, start + projects["build_periods"].to_numpy(), T + 1)
    built = ready[:, None] <= periods[None, :]
    np.add.at(cap, p_site, projects["added_capacity_m2"].to_numpy(dtype=float)[:, None] * built)
    return load, cap, is_open


def _assignments(instance: Instance, model: ModelArrays, solution: np.ndarray) -> pd.DataFrame:
    x = model.blocks["x"]
    share = np.clip(x.values(solution), 0.0, 1.0)
    keep = share > SHARE_EPS
    arc = x.index["arc"][keep]
    arcs = model.arcs
    table = pd.DataFrame(
        {
            "zone_id": instance.zones["zone_id"].to_numpy()[arcs["zone"].to_numpy()[arc]],
            "site_id": instance.sites["site_id"].to_numpy()[arcs["site"].to_numpy()[arc]],
            "service": np.asarray(model.service_names, dtype=object)[
                arcs["service"].to_numpy()[arc]
            ],
            "period": x.index["period"][keep] + 1,
            "share": share[keep],
            "distance_m": arcs["distance_m"].to_numpy()[arc],
            "demand_m2": x.index["demand"][keep] * share[keep],
        }
    )
    return table.sort_values(["zone_id", "service", "period", "site_id"], ignore_index=True)


def _zone_table(instance: Instance, assignments: pd.DataFrame, periods: int) -> gpd.GeoDataFrame:
    """Zones with their demand-weighted average travel distance in period 1 and period T."""
    keep = [
        c
        for c in ("zone_id", "borough", "population", "imd_decile", "geometry")
        if c in instance.zones.columns
    ]
    zones = instance.zones[keep].copy()
    for label, period in (("before", 1), ("after", periods)):
        rows = assignments[assignments["period"] == period]
        weighted = (rows["distance_m"] * rows["demand_m2"]).groupby(rows["zone_id"]).sum()
        average = weighted / rows.groupby("zone_id")["demand_m2"].sum()
        zones[f"avg_distance_{label}_m"] = zones["zone_id"].map(average).astype(float)
    zones["distance_change_m"] = zones["avg_distance_after_m"] - zones["avg_distance_before_m"]
    return gpd.GeoDataFrame(zones, geometry="geometry", crs=instance.zones.crs)


def _optional_number(frame: pd.DataFrame, column: str) -> np.ndarray:
    """An informational numeric column of the sites table, for the reason text only: a
    blank or absent value reads as 0, which the text then does not mention."""
    if column not in frame.columns:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _reasons(
    instance: Instance, model: ModelArrays, assignments: pd.DataFrame, dispose: np.ndarray
) -> list[str]:
    """One line per disposed site: who owns it, receipt, homes, costs stopped, the space it
    holds that must be re-provided first (where the sites table says), where services move."""
    sites = instance.sites
    names = dict(zip(sites["site_id"], sites["name"].astype(str), strict=True))
    held = _optional_number(sites, "held_m2")
    reprovision = _optional_number(sites, "reprovision_cost")
    arcs = model.arcs
    nearest = arcs.loc[arcs.groupby(["zone", "service"])["distance_m"].idxmin()]
    reasons = []
    for s, period in enumerate(dispose):
        if period == 0:
            reasons.append("")
            continue
        row = sites.iloc[s]
        owner = str(row.get("owner", "") or "").strip()
        text = f"Owned by {owner}. " if owner else ""
        text += (
            f"Receipt £{row['market_value'] / 1e6:,.2f}m and {row['housing_units']:,.0f} homes "
            f"from period {period}; stops £{row['running_cost'] / 1e3:,.0f}k a year running "
            f"cost and £{row['backlog_cost'] / 1e3:,.0f}k backlog"
        )
        if held[s] > 0:
            text += (
                f"; its {held[s]:,.0f} m2 of held space (beds, acute or GP lists) is re-provided"
            )
            if reprovision[s] > 0:
                text += f" for £{reprovision[s] / 1e6:,.1f}m, netted off the receipt"
        zones = instance.zones["zone_id"].to_numpy()[nearest.loc[nearest["site"] == s, "zone"]]
        moved = assignments[assignments["zone_id"].isin(zones) & (assignments["period"] == period)]
        if split_services(row["services"]) and not moved.empty:
            to = moved.groupby("site_id")["demand_m2"].sum().sort_values(ascending=False)
            where = ", ".join(f"{sid} ({names[sid]})" for sid in to.index[:2])
            text += f"; its nearest zones are served from {where}"
        reasons.append(text + ".")
    return reasons


def plan_from_solution(
    instance: Instance, model: ModelArrays, result: SolverResult, timings: dict[str, float]
) -> Plan:
    """Turn a backend's solution into a :class:`Plan` with tables, cash flow and KPIs."""
    assert result.solution is not None
    solution = result.solution
    sites, projects, sc = instance.sites, instance.projects, instance.scenario
    S, P, T = len(sites), len(projects), sc.periods
    dispose, start, pair_index, pair_period = _decisions(model, solution, S, P)
    load, cap, is_open = _site_period_state(instance, model, solution, dispose, start)
    assignments = _assignments(instance, model, solution)

    disposed = dispose > 0
    value = sites["market_value"].to_numpy(dtype=float)
    homes = sites["housing_units"].to_numpy(dtype=float)
    table = sites[["site_id", "name", "borough", "geometry"]].copy()
    table["decision"] = np.where(disposed, "dispose", "retain")
    table["dispose_period"] = pd.array(np.where(disposed, dispose, pd.NA), dtype="Int64")
    table["receipt"] = np.where(disposed, value, 0.0)
    table["housing_units"] = np.where(disposed, homes, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(cap > 0, load / cap, np.nan)
    for t in range(T):
        table[f"utilisation_p{t + 1}"] = utilisation[:, t]
    table["reason"] = _reasons(instance, model, assignments, dispose)
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=sites.crs)

    built = start > 0
    build_time = projects["build_periods"].to_numpy()
    proj = pd.DataFrame(
        {
            "project_id": projects["project_id"].to_numpy(),
            "site_id": projects["site_id"].to_numpy(),
            "start_period": pd.array(np.where(built, start, pd.NA), dtype="Int64"),
            "ready_period": pd.array(np.where(built, start + build_time, pd.NA), dtype="Int64"),
            "capex": np.where(built, projects["capex"].to_numpy(dtype=float), 0.0),
            "kind": projects["kind"].to_numpy(),
        }
    )

    pa = model.pairs["a"].to_numpy()[pair_index]
    pb = model.pairs["b"].to_numpy()[pair_index]
    site_ids = sites["site_id"].to_numpy()
    pairs = pd.DataFrame(
        {
            "site_a": site_ids[pa],
            "site_b": site_ids[pb],
            "period": pair_period,
            "value_uplift": sc.marriage_value_uplift * (value[pa] + value[pb]),
            "housing_uplift": sc.marriage_housing_uplift * (homes[pa] + homes[pb]),
        }
    )

    cash = _cash_flow(instance, dispose, start, pairs, is_open)
    kpis = _kpis(instance, model, table, proj, pairs, cash, load, cap, assignments, dispose, start)
    objective = model.objective(solution)
    bound = result.bound
    if result.status is Status.OPTIMAL and bound is None:
        bound = objective
    gap = None if bound is None else abs(bound - objective) / max(1.0, abs(objective))
    return Plan(
        status=result.status,
        objective=objective,
        best_bound=bound,
        mip_gap=gap,
        solver=result.solver,
        timings=timings,
        kpis=kpis,
        sites=table,
        projects=proj,
        assignments=assignments.drop(columns=["demand_m2"]),
        marriage_pairs=pairs,
        cash_flow=cash,
        periods=T,
        instance_name=instance.name,
        message=result.message,
        model_size=model.describe(),
        zones=_zone_table(instance, assignments, T),
    )


def _cash_flow(
    instance: Instance,
    dispose: np.ndarray,
    start: np.ndarray,
    pairs: pd.DataFrame,
    is_open: np.ndarray,
) -> pd.DataFrame:
    """Per period: budget, receipts, retained receipts, capex, backlog spend, positions."""
    sc, T = instance.scenario, instance.scenario.periods
    periods = np.arange(1, T + 1)
    value = instance.sites["market_value"].to_numpy(dtype=float)
    receipts = np.array([value[dispose == t].sum() for t in periods])
    receipts += np.array([pairs.loc[pairs["period"] == t, "value_uplift"].sum() for t in periods])
    capex = instance.projects["capex"].to_numpy(dtype=float)
    spend = np.array([capex[start == t].sum() for t in periods])
    beta = instance.sites["backlog_cost"].to_numpy(dtype=float) / T
    backlog = (beta[:, None] * is_open).sum(axis=0)
    budget = np.asarray(sc.budgets)
    retained = sc.receipt_retention * receipts
    net = budget + retained - spend - backlog
    return pd.DataFrame(
        {
            "period": periods,
            "budget": budget,
            "receipts": receipts,
            "retained_receipts": retained,
            "capex": spend,
            "backlog_spend": backlog,
            "net": net,
            "cumulative_position": np.cumsum(net),
        }
    )


def _travel_stats(assignments: pd.DataFrame, period: int) -> dict[str, dict[str, float]]:
    rows = assignments[assignments["period"] == period]
    out = {}
    for service, group in rows.groupby("service"):
        weight = group["demand_m2"].to_numpy()
        out[str(service)] = {
            "average_m": float(np.average(group["distance_m"], weights=weight)),
            "worst_m": float(group["distance_m"].max()),
        }
    return out


def _kpis(
    instance: Instance,
    model: ModelArrays,
    sites: pd.DataFrame,
    projects: pd.DataFrame,
    pairs: pd.DataFrame,
    cash: pd.DataFrame,
    load: np.ndarray,
    cap: np.ndarray,
    assignments: pd.DataFrame,
    dispose: np.ndarray,
    start: np.ndarray,
) -> Kpis:
    sc, src = instance.scenario, instance.sites
    T = sc.periods
    disposed = dispose > 0
    ready = np.where(start > 0, start + instance.projects["build_periods"].to_numpy(), T + 1)
    built_by_end = ready <= T
    running = src["running_cost"].to_numpy(dtype=float)
    delta_run = instance.projects["running_cost_delta"].to_numpy(dtype=float)
    receipts = float(cash["receipts"].sum())
    homes = float(sites["housing_units"].sum() + pairs["housing_uplift"].sum())
    hosts_care = assignments[assignments["period"] == T].groupby("site_id")["service"].unique()
    colocated = [s for s, svc in hosts_care.items() if len(svc) > 1 and "social_care" in set(svc)]
    return {
        "receipts": receipts,
        "receipts_target": sc.receipts_target,
        "housing_units": homes,
        "housing_target": sc.housing_target,
        "sites_disposed": int(disposed.sum()),
        "floor_area_released_m2": float(src["capacity_m2"].to_numpy(dtype=float)[disposed].sum()),
        "projects_built": int((start > 0).sum()),
        "capex": float(projects["capex"].sum()),
        "running_cost_saving_per_year": float(
            running[disposed].sum() - delta_run[built_by_end].sum()
        ),
        "backlog_avoided": float(src["backlog_cost"].to_numpy(dtype=float)[disposed].sum()),
        "marriage_pairs": len(pairs),
        "utilisation_before": float(load[:, 0].sum() / cap[:, 0].sum())
        if cap[:, 0].sum()
        else None,
        "utilisation_after": float(load[:, -1].sum() / cap[:, -1].sum())
        if cap[:, -1].sum()
        else None,
        "cash_position": [float(v) for v in cash["cumulative_position"]],
        "colocated_hubs": len(colocated),
        "travel_first_period": _travel_stats(assignments, 1),
        "travel_last_period": _travel_stats(assignments, T),
    }


def empty_plan(
    instance: Instance,
    result: SolverResult,
    timings: dict[str, float],
    shortfalls: pd.DataFrame | None = None,
) -> Plan:
    """A plan without decisions (infeasible or no solution found in time)."""
    T = instance.scenario.periods
    sites = instance.sites[["site_id", "name", "borough", "geometry"]].copy()
    for column in ("decision", "dispose_period", "receipt", "housing_units", "reason"):
        sites[column] = pd.NA
    for t in range(1, T + 1):
        sites[f"utilisation_p{t}"] = np.nan
    empty = pd.DataFrame()
    return Plan(
        status=result.status,
        objective=None,
        best_bound=result.bound,
        mip_gap=None,
        solver=result.solver,
        timings=timings,
        kpis={},
        sites=gpd.GeoDataFrame(sites),
        projects=empty,
        assignments=empty,
        marriage_pairs=empty,
        cash_flow=empty,
        periods=T,
        instance_name=instance.name,
        message=result.message,
        shortfalls=shortfalls,
    )
