"""NHS ERIC (Estates Returns Information Collection) site-level returns.

Column names changed between the yearly workbooks; every variant this module knows
is listed once in the ``_*`` tables below (2013/14 to 2016/17 as published by
HSCIC/NHS Digital). Running costs are grouped as in MODEL.md's ``running_cost``:

- hard FM: ``Hard FM (Estates) costs`` (2014/15, 2015/16), or from 2016/17 the sum of
  estates and property maintenance, grounds and gardens, EBME maintenance and other
  hard FM; absent in 2013/14 (counted as 0);
- soft FM: ``Soft FM (Hotel Services) costs`` (2014/15, 2015/16), or from 2016/17 the
  sum of cleaning, inpatient food, laundry and linen, portering and other soft FM;
- energy: the all-supplies energy cost of each year;
- the rest: estates and facilities finance costs (capital charges, rates), water,
  sewage and waste.

Blank cells count as 0 in the sums; a negative total (published adjustments) is
clipped to 0. The 2014/15 workbook repeats ten cost headers (suffixed ``__2`` in the
CSV); only the first occurrence is used so nothing is counted twice.
"""

from __future__ import annotations

import logging
import string

import numpy as np
import pandas as pd

from estates_opt.sources._common import (
    Source,
    file_name,
    first_column,
    numbers,
    read_table,
    site_frame,
    truthy,
)

__all__ = ["ERIC_SERVICES", "classify_site_type", "read_eric_sites"]

logger = logging.getLogger(__name__)

_GIA = ("Gross internal floor area (m²)", "Gross internal site floor area (m²)")
_LAND = ("Land area owned (Hectares)", "Site land area (Hectare)")
_OCCUPIED = ("Occupied floor area (m²)",)
_EMPTY = ("Floor area - empty (%)",)
_UNDERUSED = ("Floor area - under used (%)",)
_LAND_IDLE = ("Land area not delivering services (Hectares)",)
_BEDS = ("Available beds (No.)",)
_BACKLOG = {
    risk: f"Cost to eradicate {risk} risk backlog (£)"
    for risk in ("high", "significant", "moderate", "low")
}
# Each cost group: alternatives, first whose first column exists wins; its columns are summed.
_HARD_FM = (
    ("Hard FM (Estates) costs (£)",),
    (
        "Estates and property maintenance (£)",
        "Grounds and gardens maintenance (£)",
        "Electro Bio Medical Equipment maintenance cost (£)",
        "Other Hard FM (Estates) costs (£)",
    ),
)
_SOFT_FM = (
    ("Soft FM (Hotel Services) costs (£)",),
    ("Soft FM (Hotel services) costs (£)",),
    (
        "Other Soft FM (Hotel Services) costs (£)",
        "Cleaning service cost (£)",
        "Inpatient food service cost (£)",
        "Laundry and linen service cost (£)",
        "Portering service cost (£)",
    ),
)
_ENERGY = (
    ("Energy costs (all energy supplies) (£)",),
    ("Energy cost (all energy supplies) (£)",),
    ("Total energy cost (all energy supplies, utility, local and renewable) (£)",),
)
_OTHER = (
    ("Estates and facilities finance costs (£)",),
    ("Water and sewage cost (£)",),
    ("Water cost (£)", "Sewage cost (£)"),
    ("Total waste cost (£)",),
    ("Waste cost (£)",),
    (
        "Clinical waste cost (£)",
        "Special waste cost (£)",
        "Domestic waste cost (£)",
        "Waste recycling, recovery cost (£)",
    ),
    (
        "Landfill disposal cost (£)",
        "Incineration disposal cost (£)",
        "Waste reycling cost (£)",
        "Other recovery cost (£)",
    ),
)

ERIC_SERVICES: tuple[tuple[str, str, bool], ...] = (
    ("aggregate", "", False),
    ("support facility", "", False),
    ("general acute", "community", True),
    ("specialist hospital", "community", True),
    ("mixed service", "community;mental_health", False),
    ("multi-service", "community;mental_health", False),
    ("mental health", "mental_health", False),
    ("learning disabilit", "mental_health", False),
    ("long stay", "mental_health", False),
    ("", "community", False),
)
"""(keyword of ERIC's ``Site Type``, services hosted today, acute core), first match wins.

The site type wording changed by year (``GENERAL ACUTE HOSPITAL`` in 2013/14,
``1. General acute hospital`` in 2016/17); the keywords match every variant. Acute
and specialist acute hospitals are acute cores (not disposable) and host community
clinics; mixed service hospitals host community and mental health services; mental
health, learning disability and long-stay sites mental health; every other inpatient
or treatment site (community hospital, short-term non-acute, treatment centre,
other inpatient) community services. Aggregate rows and support facilities none.
"""


def classify_site_type(site_type: str) -> tuple[str, bool]:
    """Services hosted today and whether the site is an acute core.

    >>> classify_site_type("1. General acute hospital")
    ('community', True)
    >>> classify_site_type("MULTI-SERVICE HOSPITAL")
    ('community;mental_health', False)
    """
    text = site_type.lower()
    return next((svc, acute) for key, svc, acute in ERIC_SERVICES if key in text)


def _group_cost(frame: pd.DataFrame, alternatives: tuple[tuple[str, ...], ...]) -> pd.Series:
    """Sum the columns of the first alternative present (blank = 0); 0 if none is."""
    for columns in alternatives:
        if columns[0] in frame.columns:
            return sum(
                (numbers(frame, c).fillna(0.0) for c in columns), pd.Series(0.0, frame.index)
            )
    return pd.Series(0.0, index=frame.index)


def _other_cost(frame: pd.DataFrame) -> pd.Series:
    """Finance, water/sewage and waste: each sub-group's first variant present, summed."""
    total = pd.Series(0.0, index=frame.index)
    groups = (_OTHER[0:1], _OTHER[1:3], _OTHER[3:])
    for group in groups:
        total = total + _group_cost(frame, group)
    return total


def _title(name: str) -> str:
    """ERIC's upper-case names in a readable case (``ST. ANN'S`` -> ``St. Ann's``)."""
    return string.capwords(name.strip().lower())


def read_eric_sites(source: Source, *, include_aggregate: bool = False) -> pd.DataFrame:
    """Read one year's ERIC site data into a MODEL.md ``sites`` frame.

    Parameters
    ----------
    source
        A site-level ERIC CSV (one workbook sheet), any year 2013/14 to 2016/17.
    include_aggregate
        Keep the ``AGGRE`` rows (a trust's pooled small sites, which have no place).

    Returns
    -------
    pandas.DataFrame
        MODEL.md site columns, then ``ods_code``, ``site_type``, ``trust_code``,
        ``trust_type``, ``region`` (commissioning region),
        ``gia_m2``, ``land_ha``, ``occupied_m2``, ``empty_share`` and
        ``underused_share`` (fractions of the floor area, from the published
        percentages), ``land_idle_ha`` (land not delivering services), ``beds``
        (available beds: 2013/14 and 2014/15 only), ``backlog_high`` ..
        ``backlog_low``, ``backlog_reported`` (false when all four backlog cells
        are blank), ``running_reported`` (false when every running-cost cell is
        blank), ``hard_fm_cost``, ``soft_fm_cost``, ``energy_cost``, ``other_cost``.
        Blank cells of these extra columns stay NaN.
        ``site_id`` and ``ods_code`` are the ODS site code; ``owner`` the trust name;
        ``capacity_m2`` the whole gross internal floor area (scale it down where only
        part of a hospital is open to the modelled services); ``backlog_cost`` the
        sum of the four risk categories; ``services`` and ``disposable`` (false
        for acute cores) follow :data:`ERIC_SERVICES`. ERIC publishes no
        coordinates, market value or housing capacity: ``x``/``y`` come from
        ``nhschoices2018_easting/northing`` (or
        ``easting``/``northing``) when the file carries them and are NaN otherwise;
        ``market_value`` and ``housing_units`` are NaN for the analyst to fill.
        Subtotal rows (no site code) are dropped.

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "Site Code,Site Name,Site Type,Gross internal floor area (m²),"
    ...     "Energy costs (all energy supplies) (£),Cost to eradicate high risk backlog (£)\\n"
    ...     "RAL01,ROYAL FREE HOSPITAL,1. General acute hospital,148398,4034757,1560000\\n"
    ... )
    >>> sites = read_eric_sites(io.StringIO(text))
    >>> print(sites[["site_id", "name", "capacity_m2", "running_cost", "disposable"]])
      site_id                 name  capacity_m2  running_cost  disposable
    0   RAL01  Royal Free Hospital     148398.0     4034757.0       False
    """
    name = file_name(source)
    raw = read_table(source)
    code_col = first_column(raw, ["Site Code"], name)
    raw = raw[raw[code_col].str.strip() != ""].copy()
    code = raw[code_col].str.strip()
    aggregate = code.str.upper().eq("AGGRE")
    if "is_aggregate_site" in raw.columns:
        aggregate |= truthy(raw["is_aggregate_site"])
    if not include_aggregate:
        raw, code, aggregate = raw[~aggregate], code[~aggregate], aggregate[~aggregate]
    site_type = raw[first_column(raw, ["Site Type"], name)].str.strip()
    kind = site_type.map(classify_site_type)
    backlog = {risk: numbers(raw, column) for risk, column in _BACKLOG.items()}
    backlog_cost = sum((b.fillna(0.0) for b in backlog.values()), pd.Series(0.0, raw.index))
    hard, soft = _group_cost(raw, _HARD_FM), _group_cost(raw, _SOFT_FM)
    energy, other = _group_cost(raw, _ENERGY), _other_cost(raw)
    if not any(a[0] in raw.columns for a in _HARD_FM):
        logger.info("%s: no hard FM cost columns (2013/14 layout); hard FM counted as 0", name)
    x_col = first_column(raw, ["nhschoices2018_easting", "easting"], name, required=False)
    y_col = first_column(raw, ["nhschoices2018_northing", "northing"], name, required=False)
    b_col = first_column(raw, ["nhschoices2018_LAD22CD", "LAD22CD"], name, required=False)
    borough = raw[b_col].str.strip() if b_col else pd.Series("", index=raw.index)
    gia = numbers(raw, first_column(raw, _GIA, name)).astype(float)
    blank = pd.Series("", index=raw.index)

    def optional(names: tuple[str, ...]) -> pd.Series:
        return numbers(raw, first_column(raw, names, name, required=False)).astype(float)

    cost_columns = [
        c for group in (_HARD_FM, _SOFT_FM, _ENERGY, _OTHER) for alt in group for c in alt
    ]
    present = [c for c in dict.fromkeys(cost_columns) if c in raw.columns]
    running_reported = (
        pd.concat([numbers(raw, c) for c in present], axis=1).notna().any(axis=1)
        if present
        else pd.Series(False, index=raw.index)
    )
    columns: dict[str, object] = {
        "site_id": code,
        "name": raw["Site Name"].map(_title) if "Site Name" in raw.columns else code,
        "borough": borough,
        "owner": raw.get("Organisation Name", pd.Series("", index=raw.index)).str.strip(),
        "x": numbers(raw, x_col),
        "y": numbers(raw, y_col),
        "capacity_m2": gia.astype(float).fillna(0.0),
        "running_cost": (hard + soft + energy + other).clip(lower=0.0),
        "backlog_cost": backlog_cost.clip(lower=0.0),
        "market_value": np.nan,
        "housing_units": np.nan,
        "disposable": ~kind.str[1].astype(bool),
        "earliest_disposal": 1,
        "services": kind.str[0],
        "ods_code": code,
        "site_type": site_type,
        "trust_code": raw.get("Organisation Code", blank).str.strip(),
        "trust_type": raw.get("Organisation Type", blank).str.strip(),
        "region": raw.get("Commissioning Region", blank).str.strip(),
        "gia_m2": gia,
        "land_ha": numbers(raw, first_column(raw, _LAND, name, required=False)),
        "occupied_m2": optional(_OCCUPIED),
        "empty_share": optional(_EMPTY) / 100.0,
        "underused_share": optional(_UNDERUSED) / 100.0,
        "land_idle_ha": optional(_LAND_IDLE),
        "beds": optional(_BEDS),
    }
    columns.update({f"backlog_{risk}": value for risk, value in backlog.items()})
    columns["backlog_reported"] = pd.concat(list(backlog.values()), axis=1).notna().any(axis=1)
    columns["running_reported"] = running_reported
    columns.update(
        {"hard_fm_cost": hard, "soft_fm_cost": soft, "energy_cost": energy, "other_cost": other}
    )
    return site_frame(columns, raw.index)
