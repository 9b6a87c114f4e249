"""NHS ODS ``epraccur``: GP practices and other prescribing cost centres.

The ODS file has no coordinates. Join them from a table that has (for example the
NHS Choices GP feed read with :func:`estates_opt.sources.read_nhs_choices_sites`),
or use the ``nhschoices2019_*`` columns the shared extract already carries.
"""

from __future__ import annotations

import string

import pandas as pd

from estates_opt.sources._common import (
    Source,
    file_name,
    first_column,
    numbers,
    read_table,
    site_frame,
)

__all__ = ["read_epraccur"]

_HEADER = (
    "organisation_code", "name", "national_grouping", "high_level_health_geography",
    "address_line_1", "address_line_2", "address_line_3", "address_line_4", "address_line_5",
    "postcode", "open_date", "close_date", "status_code", "organisation_sub_type_code",
    "commissioner_code", "join_provider_purchaser_date", "left_provider_purchaser_date",
    "contact_telephone_number", "null_1", "null_2", "null_3", "amended_record_indicator",
    "null_4", "provider_purchaser_code", "null_5", "prescribing_setting", "null_6",
)  # fmt: skip
"""Column names of the headerless ODS release (ODS epraccur specification)."""


def read_epraccur(
    source: Source,
    coordinates: pd.DataFrame | None = None,
    *,
    active_only: bool = True,
    gp_only: bool = True,
) -> pd.DataFrame:
    """Read ``epraccur`` into a MODEL.md ``sites`` frame, one row per practice.

    Parameters
    ----------
    source
        The epraccur CSV, headed (as in the shared extract) or headerless as ODS
        publishes it.
    coordinates
        Optional table with ``site_id``, ``x``, ``y`` (EPSG:27700) and optionally
        ``borough``, joined on the practice code; it fills rows without coordinates.
    active_only
        Keep status ``A`` (active) rows only.
    gp_only
        Keep prescribing setting 4 (GP practice) only.

    Returns
    -------
    pandas.DataFrame
        MODEL.md site columns, then ``ods_code``, ``site_type`` (``gp_practice``),
        ``postcode``, ``status_code``, ``commissioner_code`` and
        ``prescribing_setting``. ``owner`` is blank (the commissioner, a CCG
        until 2022, owns no premises; its code is in ``commissioner_code``), services
        ``primary_care``. ODS publishes no floor area, costs, value or housing
        capacity: those are NaN for the analyst to fill. Rows with no coordinates
        from either source keep NaN ``x``/``y``.

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "organisation_code,name,postcode,status_code,commissioner_code,"
    ...     "prescribing_setting,nhschoices2019_easting,nhschoices2019_northing\\n"
    ...     "F83001,HANLEY ROAD SURGERY,N4 3DU,A,07X,4,530100.0,187000.0\\n"
    ...     "F83002,OLD SURGERY,N1 1AA,C,07X,4,,\\n"
    ... )
    >>> read_epraccur(io.StringIO(text))[["site_id", "name", "x"]].values.tolist()
    [['F83001', 'Hanley Road Surgery', 530100.0]]
    """
    name = file_name(source)
    raw = read_table(source)
    if "organisation_code" not in raw.columns:  # headerless ODS release
        raw = read_table(source, header=None)
        raw.columns = list(_HEADER[: raw.shape[1]]) + [
            f"extra_{i}" for i in range(raw.shape[1] - len(_HEADER))
        ]
    first_column(raw, ["organisation_code"], name)
    if active_only:
        raw = raw[raw["status_code"].str.strip() == "A"]
    if gp_only:
        raw = raw[raw["prescribing_setting"].str.strip() == "4"]
    code = raw["organisation_code"].str.strip()
    x, y = numbers(raw, "nhschoices2019_easting"), numbers(raw, "nhschoices2019_northing")
    blank = pd.Series("", index=raw.index)
    borough = raw.get("nhschoices2019_LAD22CD", blank).str.strip()
    if coordinates is not None:
        known = coordinates.drop_duplicates("site_id").set_index("site_id")
        fill = x.isna()
        x[fill], y[fill] = code[fill].map(known["x"]), code[fill].map(known["y"])
        if "borough" in known.columns:
            empty = borough == ""
            borough[empty] = code[empty].map(known["borough"]).fillna("")
    columns: dict[str, object] = {
        "site_id": code,
        "name": raw["name"].map(lambda s: string.capwords(s.strip().lower())),
        "borough": borough,
        "owner": "",
        "x": x,
        "y": y,
        "disposable": True,
        "earliest_disposal": 1,
        "services": "primary_care",
        "ods_code": code,
        "site_type": "gp_practice",
        "postcode": raw["postcode"].str.strip(),
        "status_code": raw["status_code"].str.strip(),
        "commissioner_code": raw["commissioner_code"].str.strip(),
        "prescribing_setting": raw["prescribing_setting"].str.strip(),
    }
    return site_frame(columns, raw.index)
