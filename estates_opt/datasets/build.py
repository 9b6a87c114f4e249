"""Build the sample estates from ``../shared/data`` (see ``data/README.md``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.datasets._capacity import top_up_capacity
from estates_opt.datasets._projects import make_projects
from estates_opt.datasets._real import ERIC_FILE, real_sites
from estates_opt.datasets._synthetic import (
    council_and_candidate_sites,
    cover_gaps,
    floor_areas,
    money_and_homes,
)
from estates_opt.datasets._zones import msoa_zones
from estates_opt.instance import Instance
from estates_opt.scenario import Scenario, Service
from estates_opt.sources import read_eric_sites

__all__ = ["NCL_BOROUGHS", "SAMPLES", "build_sample"]

logger = logging.getLogger(__name__)

NCL_BOROUGHS = ["E09000003", "E09000007", "E09000010", "E09000014", "E09000019"]
LONDON_BOROUGHS = [f"E090000{i:02d}" for i in range(1, 34)]

SERVICES = {
    # name: (m2 per 1000 residents, reach in m, GBP per resident per km per year)
    "primary_care": (80.0, 1_500.0, 2.0),
    "community": (30.0, 4_000.0, 0.5),
    "mental_health": (20.0, 6_000.0, 0.2),
    "social_care": (15.0, 2_500.0, 0.3),
}
SITE_EXTRAS = ["ods_code", "site_type", "source", "gia_m2", "land_ha"]


@dataclass(frozen=True)
class Targets:
    """Scenario targets of a sample, as shares of what the estate could deliver.

    ``receipts`` and ``housing`` are shares of the receipts and homes of every
    disposable site. The capital budget per period is the backlog spread
    ``sum_s backlog_cost_s / T`` of the whole estate (the cost of holding it all)
    plus ``budget`` times the capex of every project spread over the horizon.
    """

    receipts: float
    housing: float
    budget: float


SAMPLES: dict[str, tuple[list[str], Targets]] = {
    "ncl_pilot": (NCL_BOROUGHS, Targets(receipts=0.97, housing=0.94, budget=0.02)),
    "london": (LONDON_BOROUGHS, Targets(receipts=0.60, housing=0.60, budget=0.02)),
}
"""Sample name -> (boroughs, targets)."""

PERIODS = 5


def _benchmarks(shared: Path) -> tuple[float, float]:
    """Running and backlog cost per m2 of London ERIC 2016/17 non-acute sites (sum / sum)."""
    eric = read_eric_sites(shared / ERIC_FILE)
    london = eric[eric["region"].str.contains("LONDON") & eric["disposable"]]
    london = london[london["gia_m2"] > 0]
    running = london.loc[london["running_cost"] > 0]
    per_m2_run = float(running["running_cost"].sum() / running["gia_m2"].sum())
    per_m2_backlog = float(london["backlog_cost"].sum() / london["gia_m2"].sum())
    return round(per_m2_run, 2), round(per_m2_backlog, 2)


def _scenario(sites: pd.DataFrame, projects: pd.DataFrame, targets: Targets) -> Scenario:
    disposable = sites[sites["disposable"]]
    spread = float(sites["backlog_cost"].sum()) / PERIODS
    spread += targets.budget * float(projects["capex"].sum()) / PERIODS
    return Scenario(
        periods=PERIODS,
        period_years=1.0,
        discount_rate=0.035,
        utilisation_max=0.9,
        capital_budget=float(np.round(spread, -5)),
        receipt_retention=1.0,
        receipts_target=float(np.round(targets.receipts * disposable["market_value"].sum(), -5)),
        housing_target=float(np.floor(targets.housing * disposable["housing_units"].sum())),
        services={
            k: Service(space_per_1000=s, max_distance_m=r, travel_cost_per_person_km=t)
            for k, (s, r, t) in SERVICES.items()
        },
    )


def sample_frames(
    name: str, shared_data_dir: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Scenario]:
    """The sites, zones, projects and scenario of a sample, before validation."""
    if name not in SAMPLES:
        raise KeyError(f"unknown sample {name!r}; expected one of {', '.join(SAMPLES)}.")
    shared = Path(shared_data_dir)
    boroughs, targets = SAMPLES[name]
    zones = msoa_zones(shared, boroughs)
    real = real_sites(shared, boroughs)
    logger.info(
        "%s: %d real sites; %d sites of trusts here dropped for lack of coordinates; "
        "%d GP sites dropped as not active in epraccur",
        name, len(real.sites), len(real.dropped_no_coordinates), real.dropped_inactive_gp,
    )  # fmt: skip
    council = council_and_candidate_sites(zones)
    sites = pd.concat([real.sites, council.drop(columns="msoa")], ignore_index=True)
    sites = cover_gaps(
        sites.sort_values("site_id", ignore_index=True), zones,
        {k: r for k, (_, r, _) in SERVICES.items()},
    )  # fmt: skip
    sites = floor_areas(sites)
    flexible = (sites["source"] != "ERIC 2016/17").to_numpy() & (
        sites["site_type"] != "candidate_land"
    ).to_numpy()
    sites["capacity_m2"] = top_up_capacity(
        sites, zones, {k: (s, r) for k, (s, r, _) in SERVICES.items()}, flexible, 0.9
    )
    sites.loc[flexible, "gia_m2"] = sites.loc[flexible, "capacity_m2"]
    running_per_m2, backlog_per_m2 = _benchmarks(shared)
    sites = money_and_homes(sites, running_per_m2, backlog_per_m2)
    projects = make_projects(sites, running_per_m2)
    sites["earliest_disposal"] = sites["earliest_disposal"].astype(np.int64)
    sites = sites[
        ["site_id", "name", "borough", "owner", "x", "y", "capacity_m2", "running_cost",
         "backlog_cost", "market_value", "housing_units", "disposable", "earliest_disposal",
         "services", *SITE_EXTRAS]
    ].fillna({"ods_code": "", "owner": ""})  # fmt: skip
    zones = zones[["zone_id", "borough", "x", "y", "population", "name", "imd_decile"]]
    return sites, zones, projects, _scenario(sites, projects, targets)


def build_sample(name: str, shared_data_dir: str | Path) -> Instance:
    """Build a sample estate from the public data in ``shared_data_dir``.

    Parameters
    ----------
    name
        ``ncl_pilot`` (the five North Central London boroughs) or ``london``.
    shared_data_dir
        The ``shared/data`` folder (ERIC, NHS Choices, ODS and ONS extracts).

    Returns
    -------
    estates_opt.Instance
        The validated instance; the same bytes every build.
    """
    sites, zones, projects, scenario = sample_frames(name, shared_data_dir)
    return Instance.from_frames(sites, zones, scenario, projects, name=name)
