"""OS Code-Point Open: postcode units with their position (``london-postcodes-codepoint-2025``)."""

from __future__ import annotations

import re

import pandas as pd

from estates_opt.sources._common import Source, file_name, first_column, numbers, read_table

__all__ = ["normalise_postcode", "read_postcode_points"]


def normalise_postcode(postcode: str) -> str:
    """Upper case with one space before the inward code (``n19  5nx`` -> ``N19 5NX``).

    >>> normalise_postcode("n19  5nx"), normalise_postcode("EN20JB")
    ('N19 5NX', 'EN2 0JB')
    """
    text = re.sub(r"\s+", "", str(postcode).upper())
    return f"{text[:-3]} {text[-3:]}" if len(text) > 3 else text


def read_postcode_points(source: Source) -> pd.DataFrame:
    """Postcode units with easting/northing (EPSG:27700) and borough.

    Parameters
    ----------
    source
        The Code-Point Open extract (CSV, gzip-compressed allowed: ``postcode``,
        ``easting``, ``northing``, ``LAD_code``).

    Returns
    -------
    pandas.DataFrame
        Indexed by the normalised ``postcode``: ``x``, ``y``, ``borough``.

    Examples
    --------
    >>> import io
    >>> text = "postcode,pq,easting,northing,LAD_code\\nN19 5NX,10,528852,186939,E09000007\\n"
    >>> read_postcode_points(io.StringIO(text)).loc["N19 5NX", ["x", "y"]].tolist()
    [528852.0, 186939.0]
    """
    name = file_name(source)
    raw = read_table(source)
    code = raw[first_column(raw, ["postcode"], name)].map(normalise_postcode)
    frame = pd.DataFrame(
        {
            "postcode": code,
            "x": numbers(raw, first_column(raw, ["easting"], name)).astype(float),
            "y": numbers(raw, first_column(raw, ["northing"], name)).astype(float),
            "borough": raw[first_column(raw, ["LAD_code"], name)].str.strip(),
        }
    )
    return frame.drop_duplicates("postcode").set_index("postcode")
