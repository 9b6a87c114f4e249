"""Reinvestment options of a sample: a few lumpy projects per borough.

Unit costs (assumptions, written down in ``data/README.md``): new healthcare floor
area 4,000 GBP/m2 (London build cost of a health centre, fees included), fit-out of
existing space 1,200 GBP/m2. New space runs at 80 % of the London ERIC running cost
per m2 of non-acute sites.

Only options an estates board would weigh one by one are offered: new-build hubs on
candidate land (planning consent first, so period 2 at the earliest) and co-location
fit-outs in each borough's civic centre and largest library. There are no projects
on GP premises (the practices' own or leased premises, and fully used by their
lists) and none that would add floor area to a real site without a published plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NEW_BUILD_PER_M2 = 4_000.0
FIT_OUT_PER_M2 = 1_200.0
NEW_BUILD_RUNNING = 0.8
"""Running cost of new floor area as a share of the London ERIC rate per m2."""
HUBS = {"S": (2_000.0, "community;mental_health"),
        "L": (5_000.0, "community;mental_health;social_care")}  # fmt: skip
"""New-build hub options on a candidate plot: floor area (m2) and services."""
PLANNING_PERIODS = 1
"""A new build starts at the earliest in period ``1 + PLANNING_PERIODS`` (consent)."""
HUB_BUILD_PERIODS = 2
FIT_OUTS = (("C", 0.2, "community"), ("CM", 0.4, "community;mental_health"))
"""Co-location options in a council building: tag, share of the building, services."""


def _row(pid: str, site: str, kind: str, capex: float, added: float, services: str,
         delta: float, build: int, group: str = "",
         start: int = 1) -> dict[str, object]:  # fmt: skip
    return {
        "project_id": pid, "site_id": site, "kind": kind, "capex": round(capex, -3),
        "added_capacity_m2": round(added, -1), "services": services,
        "running_cost_delta": round(delta, -2), "build_periods": build, "earliest_start": start,
        "exclusive_group": group,
    }  # fmt: skip


def colocation_hosts(sites: pd.DataFrame) -> set[str]:
    """Council buildings offered for a co-location fit-out: per borough, the civic
    centre and the largest library (ties broken by site id)."""
    council = sites[sites["source"] == "synthetic"]
    hosts = set(council.loc[council["site_type"] == "civic_centre", "site_id"])
    libraries = council[council["site_type"] == "library"].sort_values(
        ["borough", "gia_m2", "site_id"], ascending=[True, False, True]
    )
    hosts |= set(libraries.drop_duplicates("borough")["site_id"])
    return hosts


def make_projects(sites: pd.DataFrame, running_per_m2: float) -> pd.DataFrame:
    """One table of projects for ``sites`` (see module docstring).

    - Candidate land: two competing new-build hubs (exclusive group), 2,000 m2 of
      community and mental health clinics, or 5,000 m2 that also hosts social care,
      ready after 2 periods, starting in period 2 at the earliest.
    - Per borough, the civic centre and the largest library: two competing
      co-location fit-outs that turn part of the council's own (held) floor area
      into clinics, community clinics in 20 % of the building or community and
      mental health clinics in 40 %, at the fit-out cost, each raising the
      building's running cost by 5 %.
    """
    rows: list[dict[str, object]] = []
    hosts = colocation_hosts(sites)
    for s in sites.sort_values("site_id").itertuples(index=False):
        sid, kind = str(s.site_id), str(s.site_type)
        gia, run = float(s.gia_m2), float(s.running_cost)
        if kind == "candidate_land":
            for size, (area, services) in HUBS.items():
                rows.append(_row(f"NB{size}-{sid}", sid, "new_build", area * NEW_BUILD_PER_M2,
                                 area, services, NEW_BUILD_RUNNING * area * running_per_m2,
                                 HUB_BUILD_PERIODS, f"NB-{sid}",
                                 1 + PLANNING_PERIODS))  # fmt: skip
        elif sid in hosts:
            for tag, share, services in FIT_OUTS:
                rows.append(_row(f"COL{tag}-{sid}", sid, "colocation", share * gia * FIT_OUT_PER_M2,
                                 share * gia, services, 0.05 * run, 1, f"COL-{sid}"))  # fmt: skip
    out = pd.DataFrame(rows)
    for column in ("build_periods", "earliest_start"):
        out[column] = out[column].astype(np.int64)
    return out
