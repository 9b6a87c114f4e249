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

from estates_opt.scenario import Scenario

__all__ = ["Instance", "split_services"]


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
        from estates_opt.validate import validate_instance_frames

        return validate_instance_frames(
            sites=sites,
            zones=zones,
            projects=projects,
            travel=travel,
            scenario=scenario,
            name=name,
        )

    def with_scenario(self, **changes: Any) -> Instance:
        """A new instance whose scenario has these fields changed (validated).

        >>> # inst.with_scenario(housing_target=3_000, capital_budget=2e6)
        """
        from estates_opt.validate import validate_scenario_references

        scenario = self.scenario.replace(**changes)
        new = replace(self, scenario=scenario)
        validate_scenario_references(new)
        return new

    def subset(
        self, groups: Iterable[str], *, by: str = "borough", share_budget: bool = True
    ) -> Instance:
        """The part of the estate in ``groups`` of column ``by``, targets shared by population.

        See :func:`estates_opt.split.subset_instance`.
        """
        from estates_opt.split import subset_instance

        return subset_instance(self, groups, by=by, share_budget=share_budget)

    def __repr__(self) -> str:
        return (
            f"Instance({self.name!r}: {len(self.sites)} sites, {len(self.zones)} zones, "
            f"{len(self.projects)} projects, {self.scenario.periods} periods, "
            f"services {', '.join(self.scenario.services) or 'none'})"
        )
