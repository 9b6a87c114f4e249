"""Reinvestment options of a sample: a few lumpy projects per borough.

Unit costs (assumptions, written down in ``data/README.md``): new healthcare floor
area 4,000 GBP/m2 and extensions 3,500 GBP/m2 (London build costs for health
centres incl. fees), fit-out of existing space 1,200 GBP/m2. New and extended space
runs at the London ERIC running cost per m2 (new builds at 80 % of it); a
refurbishment saves 10 % of the site's running cost.

Only options an estates board would weigh one by one are kept: a new-build hub
needs planning consent (earliest start period 2), projects on privately owned GP
premises are not NHS capital, and small fit-outs of children's or community
centres (a few hundred m2) are left to routine budgets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NEW_BUILD_PER_M2 = 4_000.0
EXTENSION_PER_M2 = 3_500.0
FIT_OUT_PER_M2 = 1_200.0
EXTENSION_SHARE = 0.5
"""Floor area an extension adds, as a share of the health centre's floor area."""
REFURBISH_SHARE = 0.15
"""Floor area a refurbishment brings back into use, as a share of capacity."""
HUBS = {"S": (2_000.0, "primary_care;community"),
        "L": (5_000.0, "primary_care;community;mental_health;social_care")}  # fmt: skip
"""New-build hub options on a candidate plot: floor area (m2) and services."""
PLANNING_PERIODS = 1
"""A new build starts at the earliest in period ``1 + PLANNING_PERIODS`` (consent)."""
FIT_OUTS = (("C", 0.2, "community"), ("PC", 0.4, "primary_care;community"))
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
        ["borough", "capacity_m2", "site_id"], ascending=[True, False, True]
    )
    hosts |= set(libraries.drop_duplicates("borough")["site_id"])
    return hosts


def make_projects(sites: pd.DataFrame, running_per_m2: float) -> pd.DataFrame:
    """One table of projects for ``sites`` (see module docstring).

    - NHS-owned health centres (disposable GP sites): an extension adding half the
      floor area for primary care, ready after 1 period (the alternative to a sale).
    - Disposable ERIC sites (published backlog): a refurbishment bringing 15 % of
      capacity back into use for their services, capex the published backlog plus
      1,200 GBP/m2 of reconfigured space, saving 10 % of running cost.
    - Candidate land: two competing new-build hubs (exclusive group), 2,000 m2
      primary and community care or 5,000 m2 with all four services, ready after
      2 periods, starting in period 2 at the earliest (planning consent).
    - Per borough, the civic centre and the largest library: two competing
      co-location fit-outs of existing space (no added floor area), community
      clinics in 20 % of the building or primary and community care in 40 %, each
      raising the running cost by 5 %.
    """
    rows: list[dict[str, object]] = []
    hosts = colocation_hosts(sites)
    for s in sites.sort_values("site_id").itertuples(index=False):
        sid, kind = str(s.site_id), str(s.site_type)
        cap, run = float(s.capacity_m2), float(s.running_cost)
        if kind.startswith("gp") and bool(s.disposable):
            added = EXTENSION_SHARE * cap
            rows.append(_row(f"EXT-{sid}", sid, "extend", added * EXTENSION_PER_M2, added,
                             "primary_care", added * running_per_m2, 1))  # fmt: skip
        elif s.source == "ERIC 2016/17" and bool(s.disposable):
            added = REFURBISH_SHARE * cap
            capex = float(s.backlog_cost) + added * FIT_OUT_PER_M2
            rows.append(_row(f"REF-{sid}", sid, "refurbish", capex, added, str(s.services),
                             -0.10 * run, 1))  # fmt: skip
        elif kind == "candidate_land":
            for size, (area, services) in HUBS.items():
                rows.append(_row(f"NB{size}-{sid}", sid, "new_build", area * NEW_BUILD_PER_M2,
                                 area, services, 0.8 * area * running_per_m2, 2,
                                 f"NB-{sid}", 1 + PLANNING_PERIODS))  # fmt: skip
        elif sid in hosts:
            for tag, share, services in FIT_OUTS:
                rows.append(_row(f"COL{tag}-{sid}", sid, "colocation", share * cap * FIT_OUT_PER_M2,
                                 0.0, services, 0.05 * run, 1, f"COL-{sid}"))  # fmt: skip
    out = pd.DataFrame(rows)
    for column in ("build_periods", "earliest_start"):
        out[column] = out[column].astype(np.int64)
    return out
