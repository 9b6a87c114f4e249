"""House prices: GLA / Land Registry MSOA medians and the UK House Price Index."""

from __future__ import annotations

import pandas as pd

from estates_opt.sources._common import Source, file_name, first_column, numbers, read_table

__all__ = ["read_house_price_index", "read_msoa_median_prices"]


def read_msoa_median_prices(source: Source, period: str = "Year ending Dec 2017") -> pd.Series:
    """Median house price (GBP) per MSOA 2011 for one rolling year.

    Parameters
    ----------
    source
        The GLA "Average House Prices" MSOA table (``MSOA11CD`` then one column per
        quarter, ``Year ending Dec 1995`` ...).
    period
        The column to read.

    Returns
    -------
    pandas.Series
        Price by ``MSOA11CD``; blank cells (too few sales) are NaN.

    Examples
    --------
    >>> import io
    >>> text = "MSOA11CD,Year ending Dec 2017\\nE02000001,830000\\nE02000002,\\n"
    >>> read_msoa_median_prices(io.StringIO(text)).tolist()
    [830000.0, nan]
    """
    name = file_name(source)
    raw = read_table(source)
    code = raw[first_column(raw, ["MSOA11CD"], name)].str.strip()
    return pd.Series(
        numbers(raw, first_column(raw, [period], name)).to_numpy(float),
        index=pd.Index(code, name="MSOA11CD"),
        name="median_price",
    )


def read_house_price_index(source: Source) -> pd.DataFrame:
    """UK House Price Index by area and month (``area_code``, ``date``, ``index``, ``price``).

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "date,area_code,average_price_gbp,index_jan2015_100\\n"
    ...     "2017-12-01,E09000007,800000,110.5\\n"
    ... )
    >>> print(read_house_price_index(io.StringIO(text)))
       area_code        date  index     price
    0  E09000007  2017-12-01  110.5  800000.0
    """
    name = file_name(source)
    raw = read_table(source)
    return pd.DataFrame(
        {
            "area_code": raw[first_column(raw, ["area_code"], name)].str.strip(),
            "date": raw[first_column(raw, ["date"], name)].str.strip(),
            "index": numbers(raw, first_column(raw, ["index_jan2015_100"], name)).astype(float),
            "price": numbers(raw, first_column(raw, ["average_price_gbp"], name)).astype(float),
        }
    )
