"""What an estates analyst wants to see first about an instance, before any solve.

:func:`describe` returns headline numbers and a few small tables: the estate by borough
and by kind of site, projects by kind, demand by service in periods 1 and T, and the
zones that no site can serve within reach (MODEL.md section 2), and, when ``sites``
says where its figures come from (the ``derived`` and ``synthetic`` columns of the
sample estates, ``data/README.md``), how much of each column is real (:func:`provenance`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from estates_opt.geo import hosted_services, reach_arcs
from estates_opt.instance import Instance

__all__ = ["describe", "provenance", "site_category_column"]

_AMOUNTS = ["capacity_m2", "running_cost", "backlog_cost", "market_value", "housing_units"]
_CATEGORY_COLUMNS = ("site_type", "kind", "owner")
_BLANK = "(blank)"
PROVENANCE_COLUMNS = ("name", "borough", "owner", "x", "y", "capacity_m2", "running_cost",
                      "backlog_cost", "market_value", "housing_units")  # fmt: skip
"""Site columns whose values are each public, derived by a rule, or synthetic."""
_NUMERIC = ("capacity_m2", "running_cost", "backlog_cost", "market_value", "housing_units")


def site_category_column(sites: pd.DataFrame) -> str:
    """The column that says what kind of site each is: ``site_type``, ``kind`` or ``owner``."""
    for name in _CATEGORY_COLUMNS:
        if name in sites.columns and (sites[name] != "").any():
            return name
    return "owner"


def _labels(series: pd.Series) -> pd.Series:
    return series.astype(str).where(series.astype(str) != "", _BLANK)


def _by_borough(sites: pd.DataFrame) -> pd.DataFrame:
    grouped = sites.assign(borough=_labels(sites["borough"])).groupby("borough", sort=True)
    table = grouped[_AMOUNTS].sum()
    table.insert(0, "disposable", grouped["disposable"].sum().astype(np.int64))
    table.insert(0, "sites", grouped.size().astype(np.int64))
    table.loc["Total"] = table.sum()
    return table.astype({"sites": np.int64, "disposable": np.int64})


def _by_category(sites: pd.DataFrame, column: str) -> pd.DataFrame:
    table = pd.crosstab(
        _labels(sites["borough"]).rename("borough"),
        _labels(sites[column]).rename(column),
        margins=True,
        margins_name="Total",
    )
    table.columns.name = column
    return table


def _projects_by_kind(projects: pd.DataFrame) -> pd.DataFrame:
    grouped = projects.assign(kind=_labels(projects["kind"])).groupby("kind", sort=True)
    table = grouped[["capex", "added_capacity_m2", "running_cost_delta"]].sum()
    table.insert(0, "projects", grouped.size().astype(np.int64))
    return table


def _reach(instance: Instance) -> np.ndarray:
    """(zones, services) bool: some site can host the service within its reach."""
    arcs = reach_arcs(instance)
    reached = np.zeros((len(instance.zones), len(instance.scenario.services)), dtype=bool)
    reached[arcs["zone"].to_numpy(), arcs["service"].to_numpy()] = True
    return reached


def _demand(instance: Instance, reached: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = instance.scenario
    names = list(scenario.services)
    population = instance.zones["population"].to_numpy()
    sigma = np.array([s.space_per_1000 for s in scenario.services.values()], dtype=float)
    growth_t = scenario.growth_factors[-1]
    base, ever = hosted_services(instance)
    needs = (population[:, None] > 0) & (sigma[None, :] > 0)  # q > 0: coverage required
    out = needs & ~reached
    demand = pd.DataFrame(
        {
            "space_per_1000": sigma,
            "max_distance_m": [s.max_distance_m for s in scenario.services.values()],
            "demand_m2_p1": population.sum() * sigma / 1000.0,
            f"demand_m2_p{scenario.periods}": population.sum() * sigma / 1000.0 * growth_t,
            "sites_hosting_now": [sum(k in b for b in base) for k in names],
            "sites_able": [sum(k in e for e in ever) for k in names],
            "zones_out_of_reach": out.sum(axis=0).astype(np.int64),
            "population_out_of_reach": (population[:, None] * out).sum(axis=0),
        },
        index=pd.Index(names, name="service"),
    )
    zone_pos, service_pos = np.nonzero(out)
    unreached = pd.DataFrame(
        {
            "zone_id": instance.zones["zone_id"].to_numpy()[zone_pos],
            "borough": instance.zones["borough"].to_numpy()[zone_pos],
            "service": np.asarray(names, dtype=object)[service_pos],
            "population": population[zone_pos],
        }
    )
    return demand, unreached.sort_values(["service", "zone_id"], ignore_index=True)


def _listed(cells: pd.Series, column: str) -> np.ndarray:
    return cells.astype(str).map(lambda v: column in v.split(";")).to_numpy(dtype=bool)


def provenance(sites: pd.DataFrame) -> pd.DataFrame | None:
    """How much of each site column comes from a public source, a rule, or nowhere.

    Parameters
    ----------
    sites
        A sites table with ``derived`` and ``synthetic`` columns: for each site, the
        ``;``-separated columns whose value was derived from a public figure by a
        written rule, or is synthetic. Every other value of
        :data:`PROVENANCE_COLUMNS` is copied from a public source.

    Returns
    -------
    pandas.DataFrame or None
        One row per column of :data:`PROVENANCE_COLUMNS`: ``public``, ``derived`` and
        ``synthetic`` site counts, and ``public_share``, ``derived_share`` and
        ``synthetic_share``: for a numeric column the share of the column's total,
        for a text column the share of sites. None when ``sites`` has no
        ``derived``/``synthetic`` columns.

    Examples
    --------
    >>> sites = pd.DataFrame({"capacity_m2": [100.0, 300.0], "name": ["A", "B"],
    ...                       "derived": ["capacity_m2", ""], "synthetic": ["", ""]})
    >>> provenance(sites).loc["capacity_m2", ["public", "derived", "public_share"]].tolist()
    [1.0, 1.0, 0.75]
    """
    if not {"derived", "synthetic"} <= set(sites.columns):
        return None
    rows = {}
    for column in PROVENANCE_COLUMNS:
        if column not in sites.columns and column not in ("x", "y"):
            continue
        derived = _listed(sites["derived"], column)
        synthetic = _listed(sites["synthetic"], column) & ~derived
        public = ~derived & ~synthetic
        if column in _NUMERIC and column in sites.columns:
            weight = pd.to_numeric(sites[column], errors="coerce").fillna(0.0).abs().to_numpy()
        else:
            weight = np.ones(len(sites))
        total = weight.sum() or 1.0
        rows[column] = {
            "public": public.sum(), "derived": derived.sum(), "synthetic": synthetic.sum(),
            "public_share": weight[public].sum() / total,
            "derived_share": weight[derived].sum() / total,
            "synthetic_share": weight[synthetic].sum() / total,
        }  # fmt: skip
    table = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    table.index.name = "column"
    return table


def describe(instance: Instance) -> dict[str, Any]:
    """Headline numbers and tables of an instance (no optimisation).

    Parameters
    ----------
    instance
        A validated instance.

    Returns
    -------
    dict
        Numbers ``sites``, ``disposable_sites``, ``zones``, ``projects``, ``periods``,
        ``population``, ``capacity_m2``, ``running_cost`` (GBP/year), ``backlog_cost``,
        ``market_value``, ``housing_units``, ``capex`` (all projects), ``demand_m2_p1``,
        ``demand_m2_pT`` (every service, m2), ``category_column``; and DataFrames
        ``sites_by_borough`` (counts and sums, with a ``Total`` row), ``sites_by_category``
        (borough x ``site_type``/``kind``/``owner`` counts), ``projects_by_kind``,
        ``demand_by_service`` (m2 in periods 1 and T, hosting sites, zones out of reach)
        and ``zones_out_of_reach`` (``zone_id``, ``borough``, ``service``, ``population``:
        zones with demand that no site able to host the service can reach); and
        ``provenance`` (:func:`provenance` of the sites, or None).

    Examples
    --------
    >>> summary = describe(inst)  # doctest: +SKIP
    >>> summary["demand_by_service"]  # doctest: +SKIP
    """
    sites, projects = instance.sites, instance.projects
    category = site_category_column(sites)
    demand, unreached = _demand(instance, _reach(instance))
    return {
        "sites": len(sites),
        "disposable_sites": int(sites["disposable"].sum()),
        "zones": len(instance.zones),
        "projects": len(projects),
        "periods": instance.scenario.periods,
        "population": float(instance.zones["population"].sum()),
        **{name: float(sites[name].sum()) for name in _AMOUNTS},
        "capex": float(projects["capex"].sum()),
        "demand_m2_p1": float(demand["demand_m2_p1"].sum()),
        "demand_m2_pT": float(demand[f"demand_m2_p{instance.scenario.periods}"].sum()),
        "category_column": category,
        "sites_by_borough": _by_borough(sites),
        "sites_by_category": _by_category(sites, category),
        "projects_by_kind": _projects_by_kind(projects),
        "demand_by_service": demand,
        "zones_out_of_reach": unreached,
        "provenance": provenance(sites),
    }
