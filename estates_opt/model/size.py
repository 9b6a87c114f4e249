"""How large a model will be, known before it is built, and a guard against one too large.

The assignment columns ``x[z, s, k, t]`` dominate every model: one per reach arc and
period. :func:`arc_counts` counts the arcs per service without materialising them (a
k-d tree counts the sites within reach of each zone), so 200,000 sites or an unlimited
reach are refused in a second, with what to change, instead of building until the
machine runs out of memory.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from scipy.spatial import KDTree

from estates_opt.errors import InputError, Problem
from estates_opt.geo import hosted_services, representative_xy
from estates_opt.instance import Instance

__all__ = ["BASE_BYTES", "BYTES_PER_VARIABLE", "ModelSize", "available_memory", "check_fits"]

BYTES_PER_VARIABLE = 2_000
"""Memory per model variable through build, hand-off and a HiGHS solve: measured
0.66 KB per variable on the generated stress estates (``docs/benchmarks.md``), taken
three times over for the solver's presolved copy and the search beside it."""

BASE_BYTES = 600e6
"""Memory of the process before the model: Python, numpy, geopandas and a solver."""


@dataclass(frozen=True)
class ModelSize:
    """Arcs per service and the variables and memory the model would need."""

    arcs: dict[str, int]
    periods: int
    binaries: int

    @property
    def variables(self) -> int:
        """Assignment columns (arcs x periods) plus the decision binaries."""
        return sum(self.arcs.values()) * self.periods + self.binaries

    @property
    def bytes(self) -> float:
        """Memory estimate of building and solving the model."""
        return BASE_BYTES + BYTES_PER_VARIABLE * self.variables


def arc_counts(instance: Instance) -> dict[str, int]:
    """Reach arcs ``(z, s, k)`` per service k, counted without listing them."""
    _, ever = hosted_services(instance)
    zones, sites = instance.zones, instance.sites
    counts: dict[str, int] = {}
    if instance.travel is not None:
        site_of = {site_id: i for i, site_id in enumerate(sites["site_id"])}
        listed = instance.travel["site_id"].map(site_of).to_numpy()
        distance = instance.travel["distance_m"].to_numpy(dtype=float)
    else:
        zone_xy = representative_xy(zones.geometry)
        site_xy = representative_xy(sites.geometry)
    for name, service in instance.scenario.services.items():
        hosts = np.fromiter((name in e for e in ever), dtype=bool, count=len(ever))
        if instance.travel is not None:
            count = int((hosts[listed] & (distance <= service.max_distance_m)).sum())
        elif not hosts.any() or not len(zone_xy):
            count = 0
        elif math.isinf(service.max_distance_m) or service.max_distance_m > 1e9:
            count = len(zone_xy) * int(hosts.sum())  # beyond a million km: every pair
        else:
            tree = KDTree(site_xy[hosts])
            found = tree.query_ball_point(zone_xy, r=service.max_distance_m, return_length=True)
            count = int(np.sum(found))
        counts[name] = count
    return counts


def model_size(instance: Instance) -> ModelSize:
    """The size of the model :func:`~estates_opt.model.build.build_model` would build."""
    periods = instance.scenario.periods
    binaries = (len(instance.sites) + len(instance.projects)) * periods
    return ModelSize(arc_counts(instance), periods, binaries)


def available_memory() -> float:
    """Bytes of memory available to this process now (physical pages free or reclaimable)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def check_fits(instance: Instance, memory: float | None = None) -> ModelSize:
    """The model's size; :class:`~estates_opt.errors.InputError` if it cannot fit in
    ``memory`` bytes (default: :func:`available_memory`)."""
    size = model_size(instance)
    memory = available_memory() if memory is None else memory
    if size.bytes <= memory:
        return size
    arcs = ", ".join(f"{name} {count:,}" for name, count in size.arcs.items())
    raise InputError(
        Problem(
            "scenario.toml",
            f"the model would have about {size.variables:,} variables ({arcs} zone-site "
            f"arcs x {size.periods} periods) and need about {size.bytes / 1e9:,.1f} GB of "
            f"memory; this machine has {memory / 1e9:,.1f} GB available. Expected a model "
            "that fits: shorten [services] max_distance_m, list fewer pairs in travel.csv, "
            "use fewer periods or solve part of the estate (Instance.subset).",
        )
    )
