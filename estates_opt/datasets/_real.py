"""The real sites of a sample: ERIC 2016/17, NHS Choices hospitals 2018 and GPs 2019.

Rules (also in ``data/README.md``):

1. ERIC 2016/17 non-aggregate sites keep their published gross internal floor area,
   backlog (four risk categories summed) and running costs. Coordinates come from
   the NHS Choices 2018 join on the ODS site code; a site without one takes the point
   of the London NHS Choices hospital or geocoded ERIC site with the same normalised
   name, when exactly one such point exists (e.g. ERIC ``RRP03 St. Ann's Hospital``
   sits on the NHS Choices ``RKEAN St. Ann's Hospital`` campus). Sites still without
   coordinates are dropped and counted.
   Acute and specialist acute hospitals, and mixed service hospitals run by acute
   trusts, are acute cores: not disposable, hosting community clinics.
2. NHS Choices 2018 hospitals of NHS trusts (parent ODS code starting ``R`` or ``T``)
   not already in ERIC are added; independent-sector hospitals are not public estate
   and are left out, as is ``RRV20`` (the Middlesex Hospital, closed in 2005). Those of
   mental health or care trusts (ERIC 2016/17 organisation type) host mental health
   services, the others community services.
3. NHS Choices 2019 GP practices and branch surgeries whose practice is active
   (status ``A``) in ODS epraccur (December 2019) are added. Those named a "Health
   Centre" also host community services (district nursing, therapies) today and are
   taken to be NHS-owned (NHS Property Services / Community Health Partnerships
   health centres), hence disposable; other GP premises are mostly owned by the GP
   partners or leased from private landlords, so the NHS cannot sell them: they
   are kept (not disposable) but their floor area still counts.
4. Sites are de-duplicated on the ODS code, ERIC rows first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.sources import read_epraccur, read_eric_sites, read_nhs_choices_sites

ERIC_FILE = "nhs-eric-site-data/eric_2016_17_site_data.csv"
HOSPITAL_FILE = "nhs-choices-hospitals-2018/hospitals_england_2018.csv"
GP_FILE = "nhs-choices-gp-practices-2019/gp_practices_england_2019.csv"
EPRACCUR_FILE = "nhs-ods-epraccur-2019/epraccur_2019-12.csv"
CLOSED_SITES = ("RRV20",)
"""ODS codes of sites known to have closed before the data vintage."""

_ERIC_KIND = (
    ("general acute", "acute_hospital"),
    ("specialist hospital", "specialist_hospital"),
    ("mixed service", "mixed_hospital"),
    ("community hospital", "community_hospital"),
    ("mental health", "mental_health_unit"),
    ("learning disab", "mental_health_unit"),
    ("", "other_inpatient"),
)


@dataclass(frozen=True)
class RealSites:
    """The real sites of a sample and what was dropped on the way."""

    sites: pd.DataFrame
    dropped_no_coordinates: tuple[str, ...]
    dropped_inactive_gp: int


def _norm(name: str) -> str:
    text = re.sub(r"\bST\.?\s", "ST ", name.upper())
    return re.sub(r"[^A-Z0-9]", "", text)


def _eric_kind(site_type: str) -> str:
    text = site_type.lower()
    return next(kind for key, kind in _ERIC_KIND if key in text)


def _geocode_by_name(eric: pd.DataFrame, hospitals: pd.DataFrame) -> pd.DataFrame:
    """Fill missing ERIC points from the unique same-named London point."""
    pool = pd.concat(
        [
            hospitals.loc[hospitals["borough"] != "", ["name", "x", "y", "borough"]],
            eric.loc[eric["x"].notna() & (eric["borough"] != ""), ["name", "x", "y", "borough"]],
        ]
    )
    pool["key"] = pool["name"].map(_norm)
    pool = pool.drop_duplicates(["key", "x", "y"])
    unique = pool[~pool["key"].duplicated(keep=False)].set_index("key")
    missing = eric["x"].isna()
    keys = eric.loc[missing, "name"].map(_norm)
    eric = eric.copy()
    for column in ("x", "y", "borough"):
        eric.loc[missing, column] = keys.map(unique[column]).to_numpy()
    eric["borough"] = eric["borough"].fillna("")
    eric["geocoded_by"] = np.where(missing & eric["x"].notna(), "name", "ods_code")
    return eric


def real_sites(shared: Path, boroughs: list[str]) -> RealSites:
    """The real NHS sites in ``boroughs`` (ONS codes), one row per ODS code."""
    hospitals = read_nhs_choices_sites(shared / HOSPITAL_FILE)
    hospitals = hospitals[
        hospitals["parent_code"].str[:1].isin(["R", "T"])
        & ~hospitals["site_id"].isin(CLOSED_SITES)
        & hospitals["x"].notna()
    ].drop_duplicates("site_id")
    eric = _geocode_by_name(read_eric_sites(shared / ERIC_FILE), hospitals)
    trust_type = eric.drop_duplicates("trust_code").set_index("trust_code")["trust_type"]
    in_area = eric["borough"].isin(boroughs)
    trusts_here = set(eric.loc[in_area, "trust_code"])
    lost = eric[eric["x"].isna() & eric["trust_code"].isin(trusts_here)]
    eric = eric[in_area].copy()
    eric["source"] = "ERIC 2016/17"
    eric["site_type"] = eric["site_type"].map(_eric_kind)
    acute_mixed = (eric["site_type"] == "mixed_hospital") & eric["trust_type"].str.startswith(
        "ACUTE"
    )
    eric.loc[acute_mixed, ["disposable", "services"]] = [False, "community"]
    nice = hospitals.set_index("site_id")["name"]
    eric["name"] = eric["site_id"].map(nice).fillna(eric["name"])
    eric["market_value"] = np.nan
    hosp = hospitals[hospitals["borough"].isin(boroughs)].copy()
    hosp = hosp[~hosp["site_id"].isin(eric["site_id"])]
    mh_trust = hosp["parent_code"].map(trust_type).fillna("").str.contains("MENTAL|CARE TRUST")
    hosp.loc[mh_trust, "services"] = "mental_health"
    hosp.loc[mh_trust, "site_type"] = "mental_health_hospital"
    hosp["source"] = "NHS Choices hospitals 2018"
    gps = read_nhs_choices_sites(shared / GP_FILE)
    gps = gps[gps["borough"].isin(boroughs) & gps["x"].notna()]
    active = set(read_epraccur(shared / EPRACCUR_FILE, gp_only=False)["site_id"])
    keep = gps["site_id"].str[:6].isin(active)
    gps = gps[keep].copy()
    gps["source"] = "NHS Choices GP 2019"
    centre = gps["name"].str.contains("health cent", case=False)
    gps.loc[centre, "services"] = "primary_care;community"
    gps["disposable"] = centre
    columns = [
        "site_id", "name", "borough", "owner", "x", "y", "capacity_m2", "running_cost",
        "backlog_cost", "disposable", "services", "ods_code", "site_type", "source",
        "gia_m2", "land_ha",
    ]  # fmt: skip
    sites = pd.concat([frame.reindex(columns=columns) for frame in (eric, hosp, gps)])
    sites = sites.drop_duplicates("site_id").reset_index(drop=True)
    sites["disposable"] = sites["disposable"].astype(bool)
    return RealSites(sites, tuple(sorted(lost["site_id"])), int((~keep).sum()))
