"""The validated instance: sites, zones, projects, travel and scenario.

Frames are typed and in EPSG:27700 (see :mod:`estates_opt.schema` for every column):

- ``sites``: GeoDataFrame, one row per site, columns of MODEL.md section 1 with
  ``disposable`` as bool, ``earliest_disposal`` as int, ``services`` as the
  ``;``-separated text, plus any extra columns of the input (kept as text);
  geometry a point or a polygon.
- ``zones``: GeoDataFrame with ``zone_id``, ``borough``, ``population`` and points
  (a polygon zone is reduced to its representative point when read).
- ``projects``: DataFrame with ``exclusive_group`` as text ("" when none).
- ``travel``: DataFrame (``zone_id``, ``site_id``, ``distance_m``) or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.scenario import Scenario
from estates_opt.validate import scenario_reference_problems, validate_frames, validate_scenario

__all__ = [
    "Instance",
    "group_names",
    "split_services",
    "subset_instance",
    "validate_instance_frames",
]


def split_services(text: str) -> tuple[str, ...]:
    """The service names of a ``;``-separated cell, blanks dropped.

    >>> split_services("primary_care; community;")
    ('primary_care', 'community')
    """
    return tuple(part.strip() for part in str(text).split(";") if part.strip())


@dataclass(frozen=True, eq=False)
class Instance:
    """One estate and its policy, validated against MODEL.md section 7.

    Build one with :func:`estates_opt.read_instance` or :meth:`from_frames`; change the
    policy with :meth:`with_scenario`, which returns a new instance.
    """

    sites: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    projects: pd.DataFrame
    scenario: Scenario
    travel: pd.DataFrame | None = None
    name: str = "instance"

    @classmethod
    def from_frames(
        cls,
        sites: pd.DataFrame,
        zones: pd.DataFrame,
        scenario: Scenario,
        projects: pd.DataFrame | None = None,
        travel: pd.DataFrame | None = None,
        *,
        name: str = "instance",
    ) -> Instance:
        """Validate tables (CSV-like frames with ``x``/``y`` or GeoDataFrames) into an instance.

        Raises :class:`estates_opt.InputError` naming table, row and column on bad data.
        """
        frames = validate_frames(
            sites=sites, zones=zones, projects=projects, travel=travel, scenario=scenario
        )
        return cls(frames.sites, frames.zones, frames.projects, scenario, frames.travel, name)

    def with_scenario(self, **changes: Any) -> Instance:
        """A new instance whose scenario has these fields changed (validated).

        >>> # inst.with_scenario(housing_target=3_000, capital_budget=2e6)
        """
        scenario = self.scenario.replace(**changes)
        problems = validate_scenario(scenario)
        problems = problems or scenario_reference_problems(self.sites, self.projects, scenario)
        if problems:
            raise InputError(problems)
        return replace(self, scenario=scenario)

    def subset(
        self, groups: Iterable[str], *, by: str = "borough", share_budget: bool = True
    ) -> Instance:
        """The part of the estate in ``groups`` of column ``by``, targets shared by population.

        Targets are split pro rata to population: the part gets the share of the
        receipts and housing targets (and, with ``share_budget``, of the capital budget)
        that its zones hold of the whole population; a borough housing target is shared
        by the population of that borough inside the part. Locks keep the ids that
        remain.
        """
        return subset_instance(self, groups, by=by, share_budget=share_budget)

    def __repr__(self) -> str:
        return (
            f"Instance({self.name!r}: {len(self.sites)} sites, {len(self.zones)} zones, "
            f"{len(self.projects)} projects, {self.scenario.periods} periods, "
            f"services {', '.join(self.scenario.services) or 'none'})"
        )


def validate_instance_frames(
    *,
    sites: pd.DataFrame,
    zones: pd.DataFrame,
    projects: pd.DataFrame | None,
    travel: pd.DataFrame | None,
    scenario: Scenario,
    name: str = "instance",
) -> Instance:
    """:meth:`Instance.from_frames` with every table named (see
    :func:`estates_opt.validate.validate_frames`)."""
    return Instance.from_frames(sites, zones, scenario, projects, travel, name=name)


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
