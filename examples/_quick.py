"""Quick mode of the examples (``--quick`` or ``ESTATES_OPT_QUICK=1``): a small cut for CI.

Not an example itself: the examples import :func:`quick_mode` and :func:`borough_subset`
so that CI can run each of them in seconds on one or two boroughs of the sample.
"""

from __future__ import annotations

import os

import estates_opt as eo

QUICK_BOROUGHS = ["E09000007"]  # Camden
QUICK_TIME_LIMIT = 20.0


def quick_mode(flag: bool) -> bool:
    """True when ``--quick`` was given or ``ESTATES_OPT_QUICK`` is set to a true value."""
    return flag or os.environ.get("ESTATES_OPT_QUICK", "").lower() in ("1", "true", "yes")


def borough_subset(instance: eo.Instance, boroughs: list[str]) -> eo.Instance:
    """The part of an estate in ``boroughs``, with targets and budget scaled to it.

    Receipts and housing targets shrink by the subset's share of disposable value and
    homes; the capital budget stays as it is (generous for a part, so the cut stays
    feasible); locks and borough housing targets keep only what is left.
    """
    sites = instance.sites[instance.sites["borough"].isin(boroughs)]
    zones = instance.zones[instance.zones["borough"].isin(boroughs)]
    projects = instance.projects[instance.projects["site_id"].isin(sites["site_id"])]
    travel = instance.travel
    if travel is not None:
        travel = travel[
            travel["zone_id"].isin(zones["zone_id"]) & travel["site_id"].isin(sites["site_id"])
        ]

    def share(frame_all, frame_part, column: str) -> float:
        total = float(frame_all[column].sum())
        return float(frame_part[column].sum()) / total if total else 0.0

    all_disposable = instance.sites[instance.sites["disposable"]]
    part_disposable = sites[sites["disposable"]]
    sc = instance.scenario
    ids = set(sites["site_id"]) | set(projects["project_id"])
    scenario = sc.replace(
        receipts_target=sc.receipts_target * share(all_disposable, part_disposable, "market_value"),
        housing_target=sc.housing_target * share(all_disposable, part_disposable, "housing_units"),
        housing_by_borough={b: v for b, v in sc.housing_by_borough.items() if b in boroughs},
        keep=tuple(i for i in sc.keep if i in ids),
        dispose=tuple(i for i in sc.dispose if i in ids),
        build=tuple(i for i in sc.build if i in ids),
        forbid=tuple(i for i in sc.forbid if i in ids),
    )
    return eo.Instance.from_frames(
        sites, zones, scenario, projects=projects, travel=travel,
        name=f"{instance.name} ({', '.join(boroughs)})",
    )  # fmt: skip
