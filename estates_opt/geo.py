"""Derived geometry of MODEL.md section 2: distances, reach arcs, marriage pairs.

Everything is found with a spatial index (shapely ``STRtree``), never an all-pairs
matrix, so the whole London estate (about 1,000 zones x 2,500 sites) stays cheap.
Positions, not ids, index the results: ``zone`` and ``site`` are row positions in
``instance.zones`` and ``instance.sites``; ``service`` is the position in
``list(instance.scenario.services)``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from estates_opt.instance import Instance, split_services

__all__ = [
    "hosted_services",
    "marriage_pairs",
    "reach_arcs",
    "representative_xy",
]

ARC_COLUMNS = ["zone", "site", "service", "distance_m"]


def representative_xy(geometries: gpd.GeoSeries) -> np.ndarray:
    """(n, 2) coordinates of each geometry's representative point (a point stays itself)."""
    points = shapely.point_on_surface(np.asarray(geometries.values))
    return shapely.get_coordinates(points)


def hosted_services(instance: Instance) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """Per site, ``Kbase_s`` (services today) and ``Kall_s`` (today or after any project)."""
    base = [frozenset(split_services(text)) for text in instance.sites["services"]]
    ever = [set(b) for b in base]
    position = {site_id: i for i, site_id in enumerate(instance.sites["site_id"])}
    for site_id, text in zip(
        instance.projects["site_id"], instance.projects["services"], strict=True
    ):
        ever[position[site_id]].update(split_services(text))
    return base, [frozenset(e) for e in ever]


def _candidate_pairs(instance: Instance, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zone, site, distance) for every pair within ``reach`` (or listed in travel.csv)."""
    if instance.travel is not None:
        zone_pos = pd.Series(np.arange(len(instance.zones)), index=instance.zones["zone_id"])
        site_pos = pd.Series(np.arange(len(instance.sites)), index=instance.sites["site_id"])
        travel = instance.travel
        distance = travel["distance_m"].to_numpy(dtype=float)
        keep = distance <= reach
        return (
            zone_pos.loc[travel["zone_id"]].to_numpy()[keep],
            site_pos.loc[travel["site_id"]].to_numpy()[keep],
            distance[keep],
        )
    zone_xy = representative_xy(instance.zones.geometry)
    site_xy = representative_xy(instance.sites.geometry)
    if math.isinf(reach):
        zone, site = np.divmod(np.arange(len(zone_xy) * len(site_xy)), len(site_xy))
    else:
        tree = shapely.STRtree(shapely.points(site_xy))
        zone, site = tree.query(shapely.points(zone_xy), predicate="dwithin", distance=reach)
    distance = np.hypot(*(zone_xy[zone] - site_xy[site]).T)
    keep = distance <= reach
    return zone[keep], site[keep], distance[keep]


def reach_arcs(instance: Instance) -> pd.DataFrame:
    """Arcs ``(z, s, k)`` with ``k in Kall_s`` and ``D[z, s] <= R_k``, sorted by k, z, s.

    Returns a DataFrame with int columns ``zone``, ``site``, ``service`` and float
    ``distance_m``.
    """
    services = list(instance.scenario.services.items())
    if not services or instance.zones.empty or instance.sites.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "distance_m" else np.int64) for c in ARC_COLUMNS}
        )
    _, ever = hosted_services(instance)
    max_reach = max(service.max_distance_m for _, service in services)
    zone, site, distance = _candidate_pairs(instance, max_reach)
    parts = []
    for k, (name, service) in enumerate(services):
        hosts = np.fromiter((name in e for e in ever), dtype=bool, count=len(ever))
        keep = hosts[site] & (distance <= service.max_distance_m)
        parts.append(
            pd.DataFrame(
                {"zone": zone[keep], "site": site[keep], "service": k, "distance_m": distance[keep]}
            )
        )
    arcs = pd.concat(parts, ignore_index=True).astype(
        {"zone": np.int64, "site": np.int64, "service": np.int64}
    )
    return arcs.sort_values(["service", "zone", "site"], kind="stable", ignore_index=True)


def marriage_pairs(instance: Instance) -> pd.DataFrame:
    """Pairs ``{a, b}`` (a < b) of distinct disposable sites within ``marriage_distance_m``.

    Polygon sites are compared as polygons, point sites point to point.
    """
    disposable = np.flatnonzero(instance.sites["disposable"].to_numpy(dtype=bool))
    empty = pd.DataFrame({"a": pd.Series(dtype=np.int64), "b": pd.Series(dtype=np.int64)})
    if len(disposable) < 2:
        return empty
    geometries = np.asarray(instance.sites.geometry.values)[disposable]
    tree = shapely.STRtree(geometries)
    distance = instance.scenario.marriage_distance_m
    left, right = tree.query(geometries, predicate="dwithin", distance=distance)
    keep = left < right
    a, b = disposable[left[keep]], disposable[right[keep]]
    pairs = pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b)}).astype(np.int64)
    return pairs.drop_duplicates().sort_values(["a", "b"], ignore_index=True)
