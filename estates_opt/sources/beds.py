"""NHS England UEC sitrep: general and acute beds per acute trust and month."""

from __future__ import annotations

import pandas as pd

from estates_opt.sources._common import Source, file_name, first_column, numbers, read_table

__all__ = ["read_sitrep_beds"]


def read_sitrep_beds(source: Source) -> pd.DataFrame:
    """General and acute (G&A) beds available and occupied, per trust and month.

    Parameters
    ----------
    source
        The monthly trust table (``nhs_trust22_code``, ``month``,
        ``general_acute_beds_available``, ``general_acute_beds_occupied``).

    Returns
    -------
    pandas.DataFrame
        ``trust_code``, ``month`` (``YYYY-MM``), ``beds_available``, ``beds_occupied``
        (blank cells NaN).

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "nhs_trust22_code,month,general_acute_beds_available,general_acute_beds_occupied\\n"
    ...     "RAL,2025-08,1500,1400\\n"
    ... )
    >>> print(read_sitrep_beds(io.StringIO(text)))
      trust_code    month  beds_available  beds_occupied
    0        RAL  2025-08          1500.0         1400.0
    """
    name = file_name(source)
    raw = read_table(source)
    return pd.DataFrame(
        {
            "trust_code": raw[first_column(raw, ["nhs_trust22_code"], name)].str.strip(),
            "month": raw[first_column(raw, ["month"], name)].str.strip(),
            "beds_available": numbers(raw, "general_acute_beds_available").astype(float),
            "beds_occupied": numbers(raw, "general_acute_beds_occupied").astype(float),
        }
    )
