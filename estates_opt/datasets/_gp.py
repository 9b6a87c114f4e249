"""GP premises from registered-patient lists: one site per practice address.

Rules (also in ``data/README.md``):

- The practices are those of the list file whose postcode is in the sample's
  boroughs (NHS Digital "Patients Registered at a GP Practice": April 2026 for
  ``ncl_pilot``, May 2022 for ``london``), placed at the postcode-unit point (OS
  Code-Point Open), else the ODS 2025 address point.
- Practices sharing a postcode share a building: one site, the practices listed.
- Floor area is the list size times :data:`GP_M2_PER_PATIENT`; all of it is held
  by the practices' registered patients (GP demand stays with the list where the
  patients are registered): it is not capacity for the modelled services.
- Owner: a practice whose ODS address or name names a health centre or primary care
  centre (:data:`HEALTH_CENTRE`) is in an NHS Property Services / Community Health
  Partnerships building (``nhsps_chp``: the former PCT health centres and LIFT
  buildings); any other practice owns or leases its premises (``gp``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.sources import normalise_postcode, read_gp_list_sizes
from estates_opt.sources._common import read_table

__all__ = ["GP_M2_PER_PATIENT", "gp_premises"]

ODS_FILE = "gp-registered-patients/ods_gp_practices_and_prescribing_ccs_2025-06_london.csv"
GP_M2_PER_PATIENT = 0.08
"""Gross internal floor area per registered patient (m2): 80 m2 per 1,000 patients."""
HEALTH_CENTRE = re.compile(
    r"\b(HEALTH|HLTH|HTH)\.?\s*(CENTRE|CENTER|CTRE|CTR|CENT)\b|\bH/C\b"
    r"|\bPRIMARY\s+(CARE\s+|CRE\s+)?(CENTRE|CTR|CR|C\.?\s?C)\b|\bPCC\b"
)
"""Names and addresses of NHS-owned health centres (``TORRINGTON PARK HLTH CTR.``,
``FOREST PRIMARY CARE CTR``, ``FINSBURY H/C``, ``EVERGREEN PCC``)."""


def _addresses(shared: Path) -> pd.Series:
    ods = read_table(shared / ODS_FILE)
    lines = [f"Address_Line_{i}" for i in range(1, 6)]
    text = ods[["Organisation_Name", *lines]].fillna("").agg(" ".join, axis=1)
    return pd.Series(text.str.upper().to_numpy(), index=ods["Organisation_Code"].str.strip())


def gp_premises(shared: Path, list_file: str, boroughs: list[str]) -> pd.DataFrame:
    """One row per GP building in ``boroughs`` with its practices and list size."""
    gp = read_gp_list_sizes(shared / list_file)
    gp = gp[gp["borough"].isin(boroughs) & gp["x"].notna() & gp["list_size"].notna()].copy()
    address = gp["practice_code"].map(_addresses(shared)).fillna("")
    text = gp["name"].str.upper() + " " + address
    gp["health_centre"] = text.map(lambda t: bool(HEALTH_CENTRE.search(t)))
    gp["postcode"] = gp["postcode"].map(normalise_postcode)
    gp = gp.sort_values(["postcode", "list_size", "practice_code"], ascending=[True, False, True])
    rows = []
    for postcode, group in gp.groupby("postcode", sort=True):
        main = group.iloc[0]
        others = len(group) - 1
        name = main["name"] + (f" and {others} other practice{'s' * (others > 1)}" * (others > 0))
        patients = float(group["list_size"].sum())
        rows.append(
            {
                "site_id": main["practice_code"], "name": name, "borough": main["borough"],
                "x": float(main["x"]), "y": float(main["y"]), "postcode": postcode,
                "geocoded_by": main["point_source"],
                "practices": ";".join(group["practice_code"]), "list_size": patients,
                "list_date": main["extract_date"],
                "health_centre": bool(group["health_centre"].any()),
                "gia_m2": float(np.round(patients * GP_M2_PER_PATIENT)),
            }
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out["held_m2"] = out["gia_m2"]
    out["capacity_m2"] = 0.0
    out["site_type"] = np.where(out["health_centre"], "health_centre", "gp_practice")
    month = pd.to_datetime(out["list_date"], format="mixed").dt.strftime("%Y-%m")
    out["list_date"] = month
    out["source"] = "GP registered patients " + month
    return out.sort_values("site_id", ignore_index=True)
