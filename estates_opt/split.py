"""The part of an estate in some boroughs (or any grouping column), as its own instance."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance

__all__ = ["group_names", "subset_instance"]


def _group(frame: pd.DataFrame, by: str, what: str) -> pd.Series:
    if by not in frame.columns:
        raise InputError(
            Problem(
                what,
                f"column '{by}' not found; expected a column of both sites and zones to split by.",
            )
        )
    return frame[by].astype(str)


def group_names(instance: Instance, by: str = "borough") -> list[str]:
    """The values of column ``by`` over sites and zones, sorted."""
    return sorted(
        set(_group(instance.sites, by, "sites")) | set(_group(instance.zones, by, "zones"))
    )


def subset_instance(
    instance: Instance,
    groups: Iterable[str],
    *,
    by: str = "borough",
    share_budget: bool = True,
) -> Instance:
    """Sites, zones, projects and travel of ``groups`` (values of column ``by``).

    Targets are split pro rata to population: the part gets the share of the receipts
    and housing targets (and, with ``share_budget``, of the capital budget) that its
    zones hold of the whole population; a borough housing target is shared by the
    population of that borough inside the part. Locks keep the ids that remain.
    """
    groups = {str(g) for g in groups}
    sites, zones, sc = instance.sites, instance.zones, instance.scenario
    in_sites = _group(sites, by, "sites").isin(groups).to_numpy()
    in_zones = _group(zones, by, "zones").isin(groups).to_numpy()
    if not in_sites.any() or not in_zones.any():
        raise InputError(
            Problem(
                "sites",
                f"{by} in {sorted(groups)} selects {int(in_sites.sum())} sites and "
                f"{int(in_zones.sum())} zones; a part needs both.",
            )
        )
    population = zones["population"].to_numpy(dtype=float)
    total = population.sum()
    share = population[in_zones].sum() / total if total > 0 else 1.0
    part_sites, part_zones = sites[in_sites], zones[in_zones]
    ids = set(part_sites["site_id"])
    projects = instance.projects[instance.projects["site_id"].isin(ids)]
    travel = instance.travel
    if travel is not None:
        travel = travel[travel["site_id"].isin(ids) & travel["zone_id"].isin(part_zones["zone_id"])]
    zone_borough = zones["borough"].astype(str).to_numpy()
    by_borough = {}
    for borough, units in sc.housing_by_borough.items():
        in_b = zone_borough == str(borough)
        inside = population[in_b & in_zones].sum()
        if units and (inside > 0 or (part_sites["borough"].astype(str) == str(borough)).any()):
            whole = population[in_b].sum()
            by_borough[borough] = units * inside / whole if whole > 0 else 0.0
    names = ids | set(projects["project_id"])
    scenario = sc.replace(
        capital_budget=tuple(b * share for b in sc.budgets) if share_budget else sc.capital_budget,
        receipts_target=sc.receipts_target * share,
        housing_target=sc.housing_target * share,
        housing_by_borough=by_borough,
        keep=tuple(i for i in sc.keep if i in names),
        dispose=tuple(i for i in sc.dispose if i in names),
        build=tuple(i for i in sc.build if i in names),
        forbid=tuple(i for i in sc.forbid if i in names),
    )
    label = ", ".join(sorted(groups))
    return Instance.from_frames(
        part_sites, part_zones, scenario, projects, travel, name=f"{instance.name}[{by}={label}]"
    )
