"""NHS Choices / NHS.UK organisation feeds (``GP.csv``, ``Hospital.csv``) as sites."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estates_opt.sources._common import Source, file_name, first_column, read_table, site_frame
from estates_opt.sources._coords import bng_xy

__all__ = ["read_nhs_choices_sites"]


def _site_type(frame: pd.DataFrame) -> pd.Series:
    kind = frame.get("OrganisationType", pd.Series("", index=frame.index)).str.strip()
    sub = frame.get("SubType", pd.Series("", index=frame.index)).str.strip()
    code = frame["OrganisationCode"].str.strip()
    gp = np.where(code.str.len() > 6, "gp_branch", "gp_practice")
    hospital = np.where(
        sub.str.lower().str.contains("mental"), "mental_health_hospital", "hospital"
    )
    return pd.Series(np.where(kind.str.upper() == "GP", gp, hospital), index=frame.index)


def read_nhs_choices_sites(source: Source) -> pd.DataFrame:
    """Read an NHS Choices GP or hospital feed into a MODEL.md ``sites`` frame.

    Parameters
    ----------
    source
        The UTF-8 CSV of the feed (``OrganisationCode``, ``OrganisationName``,
        ``Latitude``/``Longitude`` or ``easting``/``northing``, ``ParentODSCode``, ...).

    Returns
    -------
    pandas.DataFrame
        MODEL.md site columns, then ``ods_code``, ``site_type`` (``gp_practice``,
        ``gp_branch`` for a 9-character branch code, ``hospital`` or
        ``mental_health_hospital``), ``parent_code``, ``parent_name``, ``sector``
        and ``postcode``. ``owner`` is the parent trust of a hospital and blank for a
        GP: a GP's parent is its commissioner (a CCG until 2022), which commissions
        the practice but owns no premises;
        ``borough`` the ``LAD22CD`` column when present. Services: ``primary_care``
        for GPs, ``mental_health`` for mental health hospitals, ``community`` for
        other hospitals. The feed has no floor area, costs, value or housing
        capacity: those are NaN for the analyst to fill; ``disposable`` is true.
        Rows without coordinates keep NaN ``x``/``y``.

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "OrganisationCode,OrganisationType,OrganisationName,easting,northing\\n"
    ...     "F83001,GP,Hanley Road Surgery,530100,187000\\n"
    ...     "F83001001,GP,Hanley Road Branch,530400,185100\\n"
    ... )
    >>> sites = read_nhs_choices_sites(io.StringIO(text))
    >>> sites[["site_id", "site_type", "services"]].values.tolist()
    [['F83001', 'gp_practice', 'primary_care'], ['F83001001', 'gp_branch', 'primary_care']]
    """
    name = file_name(source)
    raw = read_table(source)
    first_column(raw, ["OrganisationCode"], name)
    raw = raw[raw["OrganisationCode"].str.strip() != ""]
    x, y = bng_xy(raw, ("easting", "northing"), ("Longitude", "Latitude"))
    site_type = _site_type(raw)
    services = site_type.map(
        {
            "gp_practice": "primary_care",
            "gp_branch": "primary_care",
            "mental_health_hospital": "mental_health",
            "hospital": "community",
        }
    )
    blank = pd.Series("", index=raw.index)
    code = raw["OrganisationCode"].str.strip()
    columns: dict[str, object] = {
        "site_id": code,
        "name": raw.get("OrganisationName", code).str.strip(),
        "borough": raw.get("LAD22CD", blank).str.strip(),
        "owner": pd.Series(
            np.where(site_type.str.startswith("gp"), "", raw.get("ParentName", blank).str.strip()),
            index=raw.index,
        ),
        "x": x,
        "y": y,
        "disposable": True,
        "earliest_disposal": 1,
        "services": services,
        "ods_code": code,
        "site_type": site_type,
        "parent_code": raw.get("ParentODSCode", blank).str.strip(),
        "parent_name": raw.get("ParentName", blank).str.strip(),
        "sector": raw.get("Sector", blank).str.strip(),
        "postcode": raw.get("Postcode", blank).str.strip(),
    }
    return site_frame(columns, raw.index)
