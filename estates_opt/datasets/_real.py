"""The real hospital and community sites of a sample: ERIC 2016/17 and NHS Choices 2018.

Rules (also in ``data/README.md``):

1. Every non-aggregate ERIC 2016/17 site is placed by :func:`~._geocode.geocode`;
   the aggregate return of a trust that reports no single site (the Tavistock and
   Portman, ``RNK``) is one site at its headquarters. Sites of a trust with a site in
   the sample that stay without a point are listed as unplaced.
2. NHS Choices 2018 hospitals of NHS trusts (parent ODS code ``R*``/``T*``) that are
   not ERIC sites join as sites without published floor area; independent-sector
   hospitals and ``RRV20`` (the Middlesex Hospital, closed in 2005) are left out.
3. Records sharing a postcode are one campus (:func:`campuses`): one site, the
   occupying trusts listed, floor area counted once.
4. Floor area held by what the buildings are for (acute cores, inpatient beds) is not
   capacity for the modelled out-of-hospital services (:func:`held_space`).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.datasets._geocode import geocode
from estates_opt.sources import (
    normalise_postcode,
    read_eric_sites,
    read_nhs_choices_sites,
    read_postcode_points,
    read_sitrep_beds,
)
from estates_opt.sources._common import read_table

ERIC_FILE = "nhs-eric-site-data/eric_2016_17_site_data.csv"
ERIC_BEDS_FILES = (
    "nhs-eric-site-data/eric_2014_15_site_data.csv",
    "nhs-eric-site-data/eric_2013_14_site_data.csv",
)
"""The last ERIC years that publish beds per site, newest first."""
HOSPITAL_FILE = "nhs-choices-hospitals-2018/hospitals_england_2018.csv"
TRUSTS_FILE = "nhs-choices-gp-practices-2019/trusts_and_providers_hq_england_2019.csv"
POSTCODE_FILE = "london-postcodes-codepoint-2025/london_postcodes_codepoint_2025-10.csv.gz"
SITREP_FILE = "nhs-acute-beds-sitrep/nhse_sitrep_ga_critical_care_beds_by_trust_2022-04_2025-08.csv"
SITREP_MONTHS = ("2024-09", "2025-08")
"""The twelve months of sitrep G&A beds averaged for the acute trusts' beds."""
CLOSED_SITES = ("RRV20",)
SITE_NAMES = {
    "TAF72": "Highgate Mental Health Centre",
    "RKEQ4": "The Whittington Hospital",
    "RNK-AGGRE": "The Tavistock Centre",
}
"""Names where neither ERIC nor NHS Choices gives the name the site is known by
(ERIC's "Highgate Hospital" is the Highgate Mental Health Centre; NHS Choices calls
the Whittington "The Whittington Health"; ``RNK``'s return is an aggregate row)."""
AGGREGATE_SITES = ("RNK",)
"""Trusts whose ERIC 2016/17 return is a single aggregate row, placed as one site."""

_ERIC_KIND = (
    ("general acute", "acute_hospital"),
    ("specialist hospital", "specialist_hospital"),
    ("mixed service", "mixed_hospital"),
    ("community hospital", "community_hospital"),
    ("mental health", "mental_health_unit"),
    ("learning disab", "mental_health_unit"),
    ("aggregate", "mental_health_clinic"),
    ("", "other_inpatient"),
)
_KIND_ORDER = ("acute_hospital", "specialist_hospital", "mixed_hospital", "community_hospital",
               "mental_health_unit", "other_inpatient", "mental_health_clinic",
               "hospital", "mental_health_hospital")  # fmt: skip


@dataclass(frozen=True)
class RealSites:
    """The real hospital and community sites of a sample and what could not be placed."""

    sites: pd.DataFrame
    unplaced: pd.DataFrame
    m2_per_bed: float
    nhs_choices_gia: float


def _eric_kind(site_type: str) -> str:
    text = site_type.lower()
    return next(kind for key, kind in _ERIC_KIND if key in text)


def trust_headquarters(shared: Path) -> pd.DataFrame:
    """Trust headquarters points (NHS Choices 2019), indexed by trust code: ``x``, ``y``."""
    hq = read_table(shared / TRUSTS_FILE)
    return pd.DataFrame(
        {
            "x": pd.to_numeric(hq["easting"], errors="coerce").to_numpy(),
            "y": pd.to_numeric(hq["northing"], errors="coerce").to_numpy(),
        },
        index=hq["OrganisationCode"].str.strip(),
    ).loc[lambda f: ~f.index.duplicated()]


def trust_names(shared: Path, eric: pd.DataFrame) -> dict[str, str]:
    """One spelling per trust code: NHS Choices 2019, else ERIC's name in title case."""
    hq = read_table(shared / TRUSTS_FILE)
    names = dict(zip(hq["OrganisationCode"].str.strip(), hq["OrganisationName"].str.strip(),
                     strict=True))  # fmt: skip
    for code, name in eric.drop_duplicates("trust_code")[["trust_code", "owner"]].itertuples(
        index=False
    ):
        if code not in names:
            text = string.capwords(name.lower()).replace("Nhs", "NHS")
            names[code] = text.replace(" And ", " and ").replace(" Of ", " of ")
    return names


def m2_per_bed(shared: Path) -> float:
    """Median GIA per available bed of London non-acute inpatient sites, ERIC 2014/15."""
    beds = read_eric_sites(shared / ERIC_BEDS_FILES[0])
    london = beds[beds["region"].str.contains("LONDON") & (beds["beds"] > 0)]
    kind = london["site_type"].str.upper()
    non_acute = ~kind.str.contains("GENERAL ACUTE|SPECIALIST")
    return round(float((london["gia_m2"] / london["beds"])[non_acute].median()), 1)


def _site_beds(shared: Path) -> pd.Series:
    """Available beds by ERIC site code, the newest year that publishes them (a count of
    0 is read as not published: every ERIC site is an inpatient site)."""
    parts = [
        read_eric_sites(shared / f).set_index("site_id")["beds"].replace(0.0, np.nan)
        for f in ERIC_BEDS_FILES
    ]
    beds = parts[0].dropna()
    for older in parts[1:]:
        beds = pd.concat([beds, older.dropna().drop(beds.index, errors="ignore")])
    return beds


def held_space(records: pd.DataFrame, per_bed: float) -> pd.DataFrame:
    """``occupied_m2``, ``spare_m2``, ``held_m2`` and ``capacity_m2`` of ERIC records.

    Occupied is ERIC's occupied floor area (the floor area where blank); spare its
    empty plus under-used share of the floor area. An acute core holds everything it
    occupies except the spare; an inpatient site holds its beds times
    ``per_bed`` (at most what it occupies less the spare), or everything it occupies
    less the spare when no year publishes its beds. Capacity for the modelled
    services is what is occupied and not held (spare included).
    """
    r = records.copy()
    gia = r["gia_m2"].fillna(0.0)
    occupied = r["occupied_m2"].where(r["occupied_m2"].notna(), gia).clip(upper=gia)
    shares = (r["empty_share"].fillna(0.0) + r["underused_share"].fillna(0.0)).clip(0.0, 1.0)
    spare = np.minimum(np.round(gia * shares), occupied)
    in_use = occupied - spare
    beds_space = r["beds"] * per_bed
    held = np.where(
        r["acute_core"], in_use, np.where(r["beds"].notna(), np.minimum(beds_space, in_use), in_use)
    )
    held = np.where(r["site_type"] == "mental_health_clinic", 0.0, held)
    r["occupied_m2"], r["spare_m2"] = occupied, spare
    r["held_m2"] = np.round(held)
    r["capacity_m2"] = occupied - r["held_m2"]
    return r


def _eric_records(shared: Path, postcodes: pd.DataFrame, hospitals: pd.DataFrame) -> pd.DataFrame:
    eric = read_eric_sites(shared / ERIC_FILE, include_aggregate=True)
    aggregate = eric["site_id"].eq("AGGRE")
    keep = ~aggregate | eric["trust_code"].isin(AGGREGATE_SITES)
    eric = eric[keep].copy()
    eric.loc[aggregate[keep], "site_id"] = eric.loc[aggregate[keep], "trust_code"] + "-AGGRE"
    eric.loc[aggregate[keep], "services"] = "mental_health"
    eric["site_type"] = eric["site_type"].map(_eric_kind)
    eric["acute_core"] = ~eric["disposable"] | (
        (eric["site_type"] == "mixed_hospital") & eric["trust_type"].str.startswith("ACUTE")
    )
    eric.loc[eric["acute_core"], "services"] = "community"
    beds = _site_beds(shared)
    eric["beds"] = eric["site_id"].map(beds)
    eric = geocode(eric, hospitals, postcodes, trust_headquarters(shared))
    eric["source"] = "ERIC 2016/17"
    return eric


def _nhs_choices_records(
    hospitals: pd.DataFrame, boroughs: list[str], eric: pd.DataFrame, gia: float
) -> pd.DataFrame:
    """NHS trusts' hospitals in NHS Choices 2018 that are not ERIC sites."""
    trust_type = eric.drop_duplicates("trust_code").set_index("trust_code")["trust_type"]
    hosp = hospitals[
        hospitals["parent_code"].str[:1].isin(["R", "T"])
        & ~hospitals["site_id"].isin(CLOSED_SITES)
        & hospitals["x"].notna()
        & hospitals["borough"].isin(boroughs)
        & ~hospitals["site_id"].isin(eric["site_id"])
    ].drop_duplicates("site_id")
    hosp = hosp.copy()
    kind = hosp["parent_code"].map(trust_type).fillna("")
    hosp["trust_code"] = hosp["parent_code"]
    hosp["acute_core"] = kind.str.startswith("ACUTE").to_numpy()
    mental = kind.str.contains("MENTAL|CARE TRUST").to_numpy()
    hosp["services"] = np.where(mental, "mental_health", "community")
    hosp["site_type"] = np.where(mental, "mental_health_hospital", "hospital")
    hosp["gia_m2"] = gia
    hosp["occupied_m2"] = gia
    hosp["spare_m2"] = 0.0
    hosp["held_m2"] = np.where(hosp["acute_core"], gia, 0.0)
    hosp["capacity_m2"] = gia - hosp["held_m2"]
    hosp["geocoded_by"] = "ods_code"
    hosp["source"] = "NHS Choices hospitals 2018"
    hosp["postcode"] = hosp["postcode"].map(normalise_postcode)
    return hosp


def nhs_choices_gia(shared: Path) -> float:
    """Median floor area of London ERIC 2016/17 sites that are not acute cores (m2)."""
    eric = read_eric_sites(shared / ERIC_FILE)
    london = eric[eric["region"].str.contains("LONDON") & eric["disposable"]]
    return float(np.round(london["gia_m2"].dropna().median(), -1))


def _join(values: pd.Series) -> str:
    return ";".join(dict.fromkeys(v for v in values if v))


_SUMS = (
    "occupied_m2", "spare_m2", "capacity_m2", "land_ha", "land_idle_ha", "beds",
    "backlog_eric", "backlog_unreported_m2", "running_cost_eric", "running_unreported_m2",
)  # fmt: skip


def _record_figures(r: pd.DataFrame) -> pd.DataFrame:
    """Per record: the published figures a campus adds up (NaN where not published)."""
    eric = r["source"] == "ERIC 2016/17"
    backlog = eric & r["backlog_reported"].fillna(False).astype(bool)
    running = eric & r["running_reported"].fillna(False).astype(bool) & (r["running_cost"] > 0)
    return r.assign(
        backlog_eric=r["backlog_cost"].where(backlog),
        backlog_unreported_m2=r["gia_m2"].where(eric & ~backlog, 0.0),
        running_cost_eric=r["running_cost"].where(running),
        running_unreported_m2=r["gia_m2"].where(eric & ~running, 0.0),
        land_owner=r["trust_code"].where(eric & (r["land_ha"].fillna(0.0) > 0), ""),
    )


def campuses(records: pd.DataFrame) -> pd.DataFrame:
    """One site per campus (records sharing a postcode; headquarters fallbacks stay apart).

    The main record is the one with the largest floor area (ERIC before NHS Choices):
    it gives the site id, name, point and site type. Floor area is the largest
    return, but at least what the trusts occupy together; occupied, spare, held and
    capacity add up over the ERIC records (an NHS Choices record on an ERIC campus
    adds no floor area); land, beds, backlog and running cost add up (NaN when no
    record publishes them).
    """
    r = _record_figures(records)
    r["campus"] = np.where(r["geocoded_by"] == "fallback", "SITE:" + r["site_id"], r["postcode"])
    r["eric"] = r["source"] == "ERIC 2016/17"
    r = r.sort_values(["campus", "eric", "gia_m2", "site_id"], ascending=[True, False, False, True])
    rows = []
    for _, group in r.groupby("campus", sort=True):
        main = group.iloc[0]
        figures = group[group["eric"]] if group["eric"].any() else group.iloc[:1]
        kinds = [k for k in _KIND_ORDER if k in set(group["site_type"])]
        sums = {c: float(figures[c].sum()) if figures[c].notna().any() else np.nan
                for c in _SUMS}  # fmt: skip
        gia = max(float(figures["gia_m2"].max()), sums["occupied_m2"])
        services = sorted({s for v in group["services"] for s in str(v).split(";") if s})
        rows.append(
            {
                "site_id": main["site_id"], "name": main["name"], "borough": main["borough"],
                "x": main["x"], "y": main["y"], "postcode": main["postcode"],
                "geocoded_by": main["geocoded_by"],
                "ods_code": _join(group["site_id"]), "trusts": _join(group["trust_code"]),
                "site_type": kinds[0], "acute_core": bool(figures["acute_core"].any()),
                "services": ";".join(services), "source": _join(group["source"]),
                "gia_m2": gia, **sums, "held_m2": gia - sums["capacity_m2"],
                "land_owners": _join(figures["land_owner"]),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def acute_beds(shared: Path, records: pd.DataFrame) -> pd.Series:
    """Sitrep G&A beds of each acute trust (12-month mean) spread over all its ERIC acute
    cores by floor area, per ERIC site code (the same in every sample)."""
    sitrep = read_sitrep_beds(shared / SITREP_FILE)
    months = sitrep["month"].between(*SITREP_MONTHS)
    mean = sitrep[months].groupby("trust_code")["beds_available"].mean()
    acute = records[records["acute_core"] & records["trust_code"].isin(mean.index)]
    share = acute["gia_m2"] / acute.groupby("trust_code")["gia_m2"].transform("sum")
    return pd.Series(
        np.round((share * acute["trust_code"].map(mean)).to_numpy()),
        index=acute["site_id"].to_numpy(),
    )


def real_sites(shared: Path, boroughs: list[str]) -> RealSites:
    """The real hospital and community sites in ``boroughs`` (ONS codes), one per campus."""
    postcodes = read_postcode_points(shared / POSTCODE_FILE)
    hospitals = read_nhs_choices_sites(shared / HOSPITAL_FILE)
    eric = _eric_records(shared, postcodes, hospitals)
    per_bed = m2_per_bed(shared)
    gia = nhs_choices_gia(shared)
    names = trust_names(shared, eric)
    here = eric["borough"].isin(boroughs)
    trusts_here = set(eric.loc[here, "trust_code"])
    unplaced = eric.loc[eric["x"].isna() & eric["trust_code"].isin(trusts_here),
                        ["site_id", "name", "trust_code", "gia_m2"]]  # fmt: skip
    sitrep = acute_beds(shared, eric)
    eric["beds"] = eric["site_id"].map(sitrep).where(eric["acute_core"], eric["beds"])
    records = held_space(eric[here], per_bed)
    hosp = _nhs_choices_records(hospitals, boroughs, eric, gia)
    sites = campuses(pd.concat([records, hosp], ignore_index=True))
    sites["trust_names"] = sites["trusts"].map(
        lambda codes: "; ".join(names.get(c, c) for c in codes.split(";"))
    )
    sites["land_owner_names"] = sites["land_owners"].map(
        lambda codes: "; ".join(names[c] for c in codes.split(";") if c)
    )
    nice = hospitals.drop_duplicates("site_id").set_index("site_id")["name"]
    sites["name"] = sites["site_id"].map(nice).fillna(sites["name"]).str.strip()
    sites["name"] = sites["site_id"].map(SITE_NAMES).fillna(sites["name"])
    return RealSites(
        sites.sort_values("site_id", ignore_index=True),
        unplaced.sort_values("site_id", ignore_index=True),
        per_bed,
        gia,
    )
