"""Reinvestment options of a sample: extensions, refurbishments, new builds, fit-outs.

Unit costs (assumptions, written down in ``data/README.md``): new healthcare floor
area 4,000 GBP/m2 and extensions 3,500 GBP/m2 (London build costs for health
centres incl. fees), fit-out of existing council space 1,200 GBP/m2. New and
extended space runs at the London ERIC median running cost per m2 (new builds at
80 % of it); a refurbishment saves 10 % of the site's running cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from estates_opt.datasets._synthetic import rng_for

NEW_BUILD_PER_M2 = 4_000.0
EXTENSION_PER_M2 = 3_500.0
FIT_OUT_PER_M2 = 1_200.0
EXTENSION_PROBABILITY = 0.05
COLOCATION_PROBABILITY = 0.10
HUBS = {"S": (1_200.0, "primary_care;community"),
        "L": (3_000.0, "primary_care;community;mental_health;social_care")}  # fmt: skip


def _row(pid: str, site: str, kind: str, capex: float, added: float, services: str,
         delta: float, build: int, group: str = "") -> dict[str, object]:  # fmt: skip
    return {
        "project_id": pid, "site_id": site, "kind": kind, "capex": round(capex, -3),
        "added_capacity_m2": round(added, -1), "services": services,
        "running_cost_delta": round(delta, -2), "build_periods": build, "earliest_start": 1,
        "exclusive_group": group,
    }  # fmt: skip


def make_projects(sites: pd.DataFrame, running_per_m2: float) -> pd.DataFrame:
    """One table of projects for ``sites`` (seeded by site id; see module docstring).

    - GP practices (not branches): with probability 0.05 an extension adding half
      the floor area for primary care, ready after 1 period.
    - Disposable NHS hospital sites: a refurbishment adding 15 % of capacity back
      into use for their services, capex the site's backlog plus 1,200 GBP/m2 of
      reconfigured space, saving 10 % of running cost.
    - Candidate land: two competing new-build hubs (exclusive group), small
      1,200 m2 primary and community care, large 3,000 m2 all four services,
      ready after 2 periods.
    - Council buildings: civic centres always, others with probability 0.10, two
      competing co-location fit-outs of existing space (no added floor area):
      community clinics in 20 % of the building, or primary and community care in
      40 %, each raising the running cost by 5 %.
    """
    rows: list[dict[str, object]] = []
    for s in sites.sort_values("site_id").itertuples(index=False):
        sid, kind = str(s.site_id), str(s.site_type)
        cap, run = float(s.capacity_m2), float(s.running_cost)
        if kind == "gp_practice" and rng_for(sid, "extend").random() < EXTENSION_PROBABILITY:
            added = 0.5 * cap
            rows.append(_row(f"EXT-{sid}", sid, "extend", added * EXTENSION_PER_M2, added,
                             "primary_care", added * running_per_m2, 1))  # fmt: skip
        elif s.source != "synthetic" and not kind.startswith("gp") and bool(s.disposable):
            added = 0.15 * cap
            capex = float(s.backlog_cost) + added * FIT_OUT_PER_M2
            rows.append(_row(f"REF-{sid}", sid, "refurbish", capex, added, str(s.services),
                             -0.10 * run, 1))  # fmt: skip
        elif kind == "candidate_land":
            for size, (area, services) in HUBS.items():
                rows.append(_row(f"NB{size}-{sid}", sid, "new_build", area * NEW_BUILD_PER_M2,
                                 area, services, 0.8 * area * running_per_m2, 2,
                                 f"NB-{sid}"))  # fmt: skip
        elif s.source == "synthetic" and (
            kind == "civic_centre" or rng_for(sid, "colocate").random() < COLOCATION_PROBABILITY
        ):
            for tag, share, services in (("C", 0.2, "community"),
                                         ("PC", 0.4, "primary_care;community")):  # fmt: skip
                rows.append(_row(f"COL{tag}-{sid}", sid, "colocation", share * cap * FIT_OUT_PER_M2,
                                 0.0, services, 0.05 * run, 1, f"COL-{sid}"))  # fmt: skip
    out = pd.DataFrame(rows)
    out["build_periods"] = out["build_periods"].astype(np.int64)
    return out
