"""NHS Digital "Patients Registered at a GP Practice": list size per practice.

The shared extracts (``gp-registered-patients``) carry the published columns
(``CODE``, ``POSTCODE``, ``NUMBER_OF_PATIENTS``, ...) plus a practice name, the borough
of the practice postcode (``LAD22CD``) and two points: the postcode-unit position
(``pc_easting``/``pc_northing``, OS Code-Point Open) and the ODS 2025 address point
(``ods2025_easting``/``ods2025_northing``). Both the 2022 (CCG) and 2026 (sub-ICB)
layouts are read.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

from estates_opt.sources._common import Source, file_name, first_column, numbers, read_table

__all__ = ["read_gp_list_sizes"]


def read_gp_list_sizes(source: Source) -> pd.DataFrame:
    """Registered patients per GP practice, with the practice's point.

    Parameters
    ----------
    source
        A "Patients Registered at a GP Practice" table (totals, all persons) with
        the shared extract's added columns; the national file without them reads
        too (no borough, no point).

    Returns
    -------
    pandas.DataFrame
        ``practice_code``, ``name`` (capitalised), ``postcode``, ``list_size``
        (registered patients, float), ``borough`` (``LAD22CD``, blank if absent),
        ``x``/``y`` (EPSG:27700: the postcode-unit point, else the ODS 2025 point,
        NaN if neither), ``point_source`` (``postcode``, ``ods2025`` or blank) and
        ``extract_date``. Rows with a blank list size raise nothing: they keep NaN.

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "EXTRACT_DATE,CODE,POSTCODE,NUMBER_OF_PATIENTS,practice_name,LAD22CD,"
    ...     "pc_easting,pc_northing,ods2025_easting,ods2025_northing\\n"
    ...     "2026-04-01,E83003,N20 0DH,10499,OAKLEIGH ROAD HEALTH CENTRE,E09000003,"
    ...     "527543,193427,527545.0,193426.9\\n"
    ...     "2026-04-01,F83006,NW1 1TN,15485,AMPTHILL PRACTICE,E09000007,,,529300.0,183300.0\\n"
    ... )
    >>> gp = read_gp_list_sizes(io.StringIO(text))
    >>> gp[["practice_code", "list_size", "x", "point_source"]].values.tolist()
    [['E83003', 10499.0, 527543.0, 'postcode'], ['F83006', 15485.0, 529300.0, 'ods2025']]
    """
    name = file_name(source)
    raw = read_table(source)
    code = raw[first_column(raw, ["CODE"], name)].str.strip()
    blank = pd.Series("", index=raw.index)
    pc_x, pc_y = numbers(raw, "pc_easting").astype(float), numbers(raw, "pc_northing").astype(float)
    ods_x = numbers(raw, "ods2025_easting").astype(float)
    ods_y = numbers(raw, "ods2025_northing").astype(float)
    has_pc = pc_x.notna() & pc_y.notna()
    has_ods = ods_x.notna() & ods_y.notna()
    label = first_column(raw, ["practice_name"], name, required=False)
    names = raw[label] if label else code
    return pd.DataFrame(
        {
            "practice_code": code,
            "name": names.map(lambda s: string.capwords(str(s).strip().lower())),
            "postcode": raw[first_column(raw, ["POSTCODE"], name)].str.strip(),
            "list_size": numbers(raw, first_column(raw, ["NUMBER_OF_PATIENTS"], name)) * 1.0,
            "borough": raw.get("LAD22CD", blank).str.strip(),
            "x": np.where(has_pc, pc_x, ods_x),
            "y": np.where(has_pc, pc_y, ods_y),
            "point_source": np.select([has_pc, has_ods], ["postcode", "ods2025"], ""),
            "extract_date": raw.get("EXTRACT_DATE", blank).str.strip(),
        }
    ).reset_index(drop=True)
