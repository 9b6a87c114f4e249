"""Build the sample estates from ``../shared/data`` (see ``data/README.md``)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.datasets._capacity import council_hosts
from estates_opt.datasets._gp import gp_premises
from estates_opt.datasets._policy import (
    BUDGET_SHARE,
    PERIODS,
    housing_target,
    scenario_text,
)
from estates_opt.datasets._projects import NEW_BUILD_RUNNING, make_projects
from estates_opt.datasets._real import ERIC_FILE, real_sites
from estates_opt.datasets._synthetic import (
    clinic,
    council_and_candidate_sites,
    cover_gaps,
    floor_areas,
)
from estates_opt.datasets._values import land_values
from estates_opt.datasets._zones import msoa_zones
from estates_opt.instance import Instance
from estates_opt.io import write_instance
from estates_opt.scenario import SCENARIO_FILE, Scenario, Service
from estates_opt.sources import read_eric_sites

__all__ = ["NCL_BOROUGHS", "SAMPLES", "build_sample", "sample_frames", "write_sample"]

logger = logging.getLogger(__name__)

NCL_BOROUGHS = ["E09000003", "E09000007", "E09000010", "E09000014", "E09000019"]
LONDON_BOROUGHS = [f"E090000{i:02d}" for i in range(1, 34)]

SERVICES = {
    # name: (weight or m2 per 1000 residents, reach in m, GBP per resident per km per year)
    "community": (30.0, 4_000.0, 0.5),
    "mental_health": (20.0, 6_000.0, 0.2),
    "social_care": (15.0, 2_500.0, 0.3),
}
"""Out-of-hospital services the model places (planning assumptions, ``data/README.md``).
Social care's 15 m2 per 1,000 residents is used as it is; the community and mental
health figures only weigh how a real site's floor area in use is split between the
two services it hosts (:func:`space_standards`)."""
CALIBRATED = ("community", "mental_health")
U_MAX = 0.9
DECANT_PERIOD = 3
"""First disposal period of a site with no held floor area: two years to decant and consult."""
REPROVISION_PERIOD = 4
"""First disposal period of a site whose held floor area must be re-provided first:
consent in period 1, a two-period build from period 2, ready in period 4."""

MODEL_COLUMNS = ["site_id", "name", "borough", "owner", "x", "y", "capacity_m2",
                 "running_cost", "backlog_cost", "market_value", "housing_units",
                 "disposable", "earliest_disposal", "services"]  # fmt: skip
PROVENANCE_COLUMNS = ["name", "borough", "owner", "x", "y", "capacity_m2", "running_cost",
                      "backlog_cost", "market_value", "housing_units"]  # fmt: skip
"""The site columns whose every value is from a public figure, derived from one by a
written rule, or synthetic; the other columns are decisions of the rules."""
SITE_EXTRAS = ["source", "derived", "synthetic", "owner_type", "site_type", "ods_code",
               "trusts", "practices", "list_size", "postcode", "geocoded_by", "gia_m2",
               "occupied_m2", "spare_m2", "held_m2", "beds", "land_ha", "house_price",
               "land_value", "homes_capacity", "reprovision_cost", "backlog_eric",
               "running_cost_eric"]  # fmt: skip
OWNERS = {
    "gp": "GP-owned or leased",
    "nhsps_chp": "NHS Property Services / Community Health Partnerships",
    "unknown": "unknown",
}


@dataclass(frozen=True)
class Sample:
    """The boroughs of a sample and the GP list it uses."""

    boroughs: list[str]
    gp_list: str


SAMPLES: dict[str, Sample] = {
    "ncl_pilot": Sample(NCL_BOROUGHS, "gp-registered-patients/gp_reg_pat_prac_all_2026-04_ncl.csv"),
    "london": Sample(
        LONDON_BOROUGHS, "gp-registered-patients/gp_reg_pat_prac_all_2022-05_london.csv"
    ),
}


def _rates(shared: Path) -> tuple[float, float]:
    """Running cost and backlog per m2 of London ERIC 2016/17 non-acute sites (sum / sum),
    over the sites that publish them."""
    eric = read_eric_sites(shared / ERIC_FILE)
    london = eric[eric["region"].str.contains("LONDON") & eric["disposable"]]
    london = london[london["gia_m2"] > 0]
    running = london[london["running_reported"] & (london["running_cost"] > 0)]
    backlog = london[london["backlog_reported"]]
    per_m2_run = float(running["running_cost"].sum() / running["gia_m2"].sum())
    per_m2_backlog = float(backlog["backlog_cost"].sum() / backlog["gia_m2"].sum())
    return round(per_m2_run, 2), round(per_m2_backlog, 2)


def _merge_gp(real: pd.DataFrame, gp: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Practices at a hospital campus's postcode are listed on that campus (their rooms
    are inside its published floor area, so nothing is added); the rest stay GP sites."""
    campus = real.loc[real["geocoded_by"] != "fallback", "postcode"]
    at_campus = gp["postcode"].isin(set(campus))
    joined = (
        gp[at_campus]
        .groupby("postcode")
        .agg(practices=("practices", ";".join), list_size=("list_size", "sum"))
    )
    real = real.copy()
    placed = real["geocoded_by"] != "fallback"
    real["practices"] = real["postcode"].map(joined["practices"]).where(placed).fillna("")
    real["list_size"] = real["postcode"].map(joined["list_size"]).where(placed)
    return real, gp[~at_campus]


def _owners(sites: pd.DataFrame) -> pd.DataFrame:
    s = sites.copy()
    trust = s["owner_type"].eq("") & (s["land_owners"].fillna("") != "")
    s.loc[trust, "owner_type"] = "trust"
    s.loc[trust, "owner"] = s.loc[trust, "land_owner_names"]
    s["owner_type"] = s["owner_type"].replace("", "unknown")
    named = s["owner_type"].isin(list(OWNERS))
    s.loc[named, "owner"] = s.loc[named, "owner_type"].map(OWNERS)
    return s


def _costs(s: pd.DataFrame, run_rate: float, backlog_rate: float) -> pd.DataFrame:
    """Running cost and backlog: published figures, blanks filled by the London rates.

    ``running_cost`` is the cost of the floor area that is not held (the held space
    keeps running wherever it is re-provided): the published (or filled) running cost
    times ``1 - held / floor area``. Backlog is the published figure plus the London
    rate on the floor area of returns that leave it blank; GP-owned or leased premises
    and council buildings carry no NHS backlog.
    """
    s = s.copy()
    real = s["source"] != "synthetic"
    eric = s["source"].str.startswith("ERIC")
    gia = s["gia_m2"].fillna(0.0)
    running = np.where(
        eric, s["running_cost_eric"].fillna(0.0) + s["running_unreported_m2"] * run_rate,
        gia * run_rate,
    )  # fmt: skip
    open_share = np.where(gia > 0, 1.0 - s["held_m2"].fillna(0.0) / gia.where(gia > 0, 1.0), 0.0)
    s["running_cost"] = np.round(running * open_share, -2)
    backlog = np.where(
        eric, s["backlog_eric"].fillna(0.0) + s["backlog_unreported_m2"] * backlog_rate,
        gia * backlog_rate,
    )  # fmt: skip
    no_nhs_backlog = s["owner_type"].isin(["gp", "council"])
    s["backlog_cost"] = np.where(real & ~no_nhs_backlog, np.round(backlog, -2), 0.0)
    s["running_exact"] = eric & (s["running_unreported_m2"] == 0) & (s["held_m2"] == 0)
    s["backlog_exact"] = eric & (s["backlog_unreported_m2"] == 0)
    return s


def _disposals(s: pd.DataFrame) -> pd.DataFrame:
    """Who may be sold, when, for what and for how many homes (``data/README.md``)."""
    s = s.copy()
    real = s["source"] != "synthetic"
    known = s["owner_type"] == "trust"
    placed = s["geocoded_by"] != "fallback"
    net = np.maximum(s["land_value"] - s["reprovision_cost"], 0.0)
    s["disposable"] = (real & known & placed & ~s["acute_core"].fillna(False).astype(bool)
                       & (net > 0))  # fmt: skip
    s["market_value"] = np.where(s["disposable"], np.round(net, -3), 0.0)
    s["housing_units"] = np.where(s["disposable"], s["homes_capacity"], 0.0)
    held = s["held_m2"].fillna(0.0) > 0
    s["earliest_disposal"] = np.where(
        s["disposable"], np.where(held, REPROVISION_PERIOD, DECANT_PERIOD), 1
    ).astype(np.int64)
    return s


def _provenance(s: pd.DataFrame) -> pd.DataFrame:
    """``derived`` and ``synthetic``: the :data:`PROVENANCE_COLUMNS` not copied from a
    public figure, per site (``;``-separated)."""
    synthetic = s["source"] == "synthetic"
    placed = s["geocoded_by"].isin(["ods_code", "name", "postcode", "ods2025"])
    derived: dict[str, pd.Series] = {
        "owner": s["owner_type"].isin(["gp", "nhsps_chp"]),
        "x": ~placed,
        "y": ~placed,
        "capacity_m2": pd.Series(True, index=s.index),
        "running_cost": ~s["running_exact"],
        "backlog_cost": ~s["backlog_exact"],
        "market_value": pd.Series(True, index=s.index),
        "housing_units": pd.Series(True, index=s.index),
    }
    s = s.copy()
    s["derived"] = [
        ";".join(c for c in PROVENANCE_COLUMNS if c in derived and derived[c].iat[i])
        if not synthetic.iat[i] else "" for i in range(len(s))
    ]  # fmt: skip
    s["synthetic"] = np.where(synthetic, ";".join(PROVENANCE_COLUMNS), "")
    return s


def _text(values: pd.Series) -> pd.Series:
    """Informational numbers as text: shortest form, blank where unknown."""

    def cell(v: object) -> str:
        if isinstance(v, str):
            return v
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        text = repr(float(v))  # type: ignore[arg-type]
        return text[:-2] if text.endswith(".0") else text

    return values.map(cell)


def space_standards(sites: pd.DataFrame, population: float) -> dict[str, float]:
    """m2 per 1,000 residents of each service, community and mental health from the estate.

    A real NHS site's floor area in use by the modelled services (capacity less the
    ERIC spare) is split over the calibrated services it hosts in the ratio of the
    :data:`SERVICES` weights; a service's standard is ``U_MAX`` times its floor area in
    use per 1,000 residents, so the estate as it stands is as full as its returns say.
    """
    real = sites["source"] != "synthetic"
    in_use = (sites["capacity_m2"].fillna(0.0) - sites["spare_m2"].fillna(0.0)).clip(lower=0.0)
    hosted = sites["services"].map(lambda v: [k for k in CALIBRATED if k in v.split(";")])
    weight = hosted.map(lambda ks: sum(SERVICES[k][0] for k in ks))
    out = {k: s for k, (s, _, _) in SERVICES.items()}
    for k in CALIBRATED:
        share = hosted.map(lambda ks, k=k: k in ks) * SERVICES[k][0] / weight.where(weight > 0, 1)
        used = float((in_use * share)[real].sum())
        out[k] = float(round(1000.0 * U_MAX * used / population, 2))
    return out


def _status_quo_hosts(
    sites: pd.DataFrame, zones: pd.DataFrame, sigma: dict[str, float]
) -> pd.DataFrame:
    """Council buildings host what the estate lacks room for; where even they cannot, a
    synthetic community clinic opens at the zone's point.

    Social care, a council service, must be servable for each borough's residents by
    the council buildings of that borough (so a borough cut out of a sample still
    stands); every service for the whole sample: a few passes of :func:`council_hosts`.
    """
    services = {k: (sigma[k], r) for k, (_, r, _) in SERVICES.items()}
    council_only = {k: v for k, v in services.items() if k == "social_care"}
    sites = sites.reset_index(drop=True)
    for _ in range(3):
        council = (sites["source"] == "synthetic") & (sites["site_type"] != "candidate_land")
        gaps = []
        for borough, part in zones.groupby("borough", sort=True):
            mine = (sites["borough"] == borough).to_numpy()
            here = sites[mine].reset_index(drop=True)
            hosts, short = council_hosts(
                here, part.reset_index(drop=True), council_only, council[mine].to_numpy(), U_MAX
            )
            sites.loc[mine, "services"] = hosts.to_numpy()
            gaps.append(short)
        hosts, short = council_hosts(sites, zones, services, council.to_numpy(), U_MAX)
        sites["services"] = hosts
        missing = pd.concat([*gaps, short], ignore_index=True)
        if missing.empty:
            return sites.assign(
                services=sites["services"].map(
                    lambda v: ";".join(k for k in SERVICES if k in v.split(";"))
                )
            )
        logger.info("%d zone-service pairs short of room: opening community clinics",
                    len(missing))  # fmt: skip
        by_zone = missing.groupby("zone_id", sort=True)["service"].agg(
            lambda ks: ";".join(k for k in services if k in set(ks))
        )
        clinics = pd.DataFrame(
            [clinic(zones.set_index("zone_id").loc[zid].rename(zid), kinds)
             for zid, kinds in by_zone.items()]
        )  # fmt: skip
        opened = clinics["site_id"].isin(sites["site_id"])
        for row in clinics[opened].itertuples(index=False):
            at = sites.index[sites["site_id"] == row.site_id][0]
            merged = set(sites.at[at, "services"].split(";")) | set(row.services.split(";"))
            sites.at[at, "services"] = ";".join(k for k in services if k in merged)
        sites = floor_areas(pd.concat([sites, clinics[~opened]], ignore_index=True))
        sites["acute_core"] = sites["acute_core"].fillna(False)
    raise ValueError(f"the estate cannot serve its demand: {missing.to_dict('records')}")


def _scenario(
    sites: pd.DataFrame, projects: pd.DataFrame, boroughs: list[str], sigma: dict[str, float]
) -> Scenario:
    spread = float(sites["backlog_cost"].sum()) / PERIODS
    spread += BUDGET_SHARE * float(projects["capex"].sum()) / PERIODS
    return Scenario(
        periods=PERIODS,
        period_years=1.0,
        discount_rate=0.035,
        utilisation_max=U_MAX,
        capital_budget=float(np.round(spread, -5)),
        receipt_retention=1.0,
        receipts_target=0.0,
        housing_target=housing_target(boroughs),
        services={
            k: Service(space_per_1000=sigma[k], max_distance_m=r, travel_cost_per_person_km=t)
            for k, (_, r, t) in SERVICES.items()
        },
    )


def sample_frames(
    name: str, shared_data_dir: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Scenario]:
    """The sites, zones, projects and scenario of a sample, before validation."""
    if name not in SAMPLES:
        raise KeyError(f"unknown sample {name!r}; expected one of {', '.join(SAMPLES)}.")
    shared = Path(shared_data_dir)
    sample = SAMPLES[name]
    zones = msoa_zones(shared, sample.boroughs)
    real = real_sites(shared, sample.boroughs)
    logger.info(
        "%s: %d hospital and community sites; %d ERIC sites of trusts here have no point "
        "and are not in the sample: %s",
        name, len(real.sites), len(real.unplaced), ", ".join(real.unplaced["site_id"]),
    )  # fmt: skip
    hospitals, gps = _merge_gp(real.sites, gp_premises(shared, sample.gp_list, sample.boroughs))
    hospitals["owner_type"] = ""
    gps["owner_type"] = np.where(gps["health_centre"], "nhsps_chp", "gp")
    gps["acute_core"] = False
    council = council_and_candidate_sites(zones).drop(columns="msoa")
    sites = pd.concat([hospitals, gps, council], ignore_index=True)
    sites["services"] = sites["services"].fillna("")
    sites = cover_gaps(
        sites.sort_values("site_id", ignore_index=True), zones,
        {k: r for k, (_, r, _) in SERVICES.items()},
    )  # fmt: skip
    sites = floor_areas(sites)
    sigma = space_standards(sites, float(zones["population"].sum()))
    sites = _status_quo_hosts(sites, zones, sigma)
    sites["owner_type"] = sites["owner_type"].fillna("council")
    sites["acute_core"] = sites["acute_core"].fillna(False).astype(bool)
    sites["geocoded_by"] = sites["geocoded_by"].replace("", np.nan).fillna("synthetic")
    run_rate, backlog_rate = _rates(shared)
    sites = _owners(sites)
    sites = _costs(sites, run_rate, backlog_rate)
    sites = land_values(sites, shared)
    sites = _disposals(sites)
    sites = _provenance(sites)
    projects = make_projects(sites, run_rate)
    for column in ("running_unreported_m2", "backlog_unreported_m2"):
        sites[column] = sites[column].fillna(0.0)
    numbers = ["list_size", "gia_m2", "occupied_m2", "spare_m2", "held_m2", "beds", "land_ha",
               "house_price", "land_value", "homes_capacity", "reprovision_cost",
               "backlog_eric", "running_cost_eric"]  # fmt: skip
    synthetic = sites["source"] == "synthetic"
    for column in ("house_price", "land_value", "homes_capacity", "reprovision_cost"):
        sites.loc[synthetic, column] = np.nan
    sites[numbers] = sites[numbers].apply(_text)
    sites = sites[MODEL_COLUMNS + SITE_EXTRAS].fillna(
        {c: "" for c in SITE_EXTRAS if c not in numbers}
    )
    sites = sites.sort_values("site_id", ignore_index=True)
    zones = zones[["zone_id", "borough", "x", "y", "population", "name", "imd_decile",
                   "pop_65_plus"]]  # fmt: skip
    logger.info("%s: new floor area runs at %.0f%% of %.2f GBP/m2", name,
                100 * NEW_BUILD_RUNNING, run_rate)  # fmt: skip
    return sites, zones, projects, _scenario(sites, projects, sample.boroughs, sigma)


def build_sample(name: str, shared_data_dir: str | Path) -> Instance:
    """Build a sample estate from the public data in ``shared_data_dir``.

    Parameters
    ----------
    name
        ``ncl_pilot`` (the five North Central London boroughs) or ``london``.
    shared_data_dir
        The ``shared/data`` folder.

    Returns
    -------
    estates_opt.Instance
        The validated instance; the same bytes every build.
    """
    sites, zones, projects, scenario = sample_frames(name, shared_data_dir)
    return Instance.from_frames(sites, zones, scenario, projects, name=name)


def write_sample(name: str, shared_data_dir: str | Path, out: str | Path) -> Path:
    """Build a sample and write its folder (``out``, replaced), scenario comments included."""
    instance = build_sample(name, shared_data_dir)
    path = write_instance(instance, out, overwrite=True)
    (path / SCENARIO_FILE).write_text(
        scenario_text(name, SAMPLES[name].boroughs, instance.scenario), encoding="utf-8"
    )
    return path
