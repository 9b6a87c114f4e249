"""London postcodes to British National Grid points, from package data.

The lookup ``estates_opt/geodata/london_postcodes.csv.gz`` holds every live London
postcode unit of OS Code-Point Open (October 2025) as ``postcode,x,y`` (EPSG:27700,
metres, rounded to 1 m). :func:`build_postcode_lookup` makes it from the shared
extract; ``estates_opt/geodata/README.md`` gives the source and the OGL attribution.

Examples
--------
>>> normalise_postcode(" nw1  0aa")
'NW1 0AA'
"""

from __future__ import annotations

import functools
import gzip
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["POSTCODE_FILE", "build_postcode_lookup", "normalise_postcode", "postcode_xy"]

POSTCODE_FILE = "london_postcodes.csv.gz"
"""Name of the packaged lookup inside ``estates_opt/geodata``."""


def normalise_postcode(text: object) -> str:
    """Upper case with one space before the inward code ("" for a blank cell)."""
    compact = "".join(str(text).split()).upper() if pd.notna(text) else ""
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def build_postcode_lookup(source: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the compact lookup from the Code-Point Open London extract.

    Parameters
    ----------
    source
        ``london_postcodes_codepoint_2025-10.csv.gz`` (columns ``postcode``,
        ``easting``, ``northing``).
    out
        The gzip CSV to write; the same source always gives the same bytes.

    Returns
    -------
    pathlib.Path
    """
    frame = pd.read_csv(source, usecols=["postcode", "easting", "northing"])
    table = (
        pd.DataFrame(
            {
                "postcode": frame["postcode"].map(normalise_postcode),
                "x": frame["easting"].round().astype("int64"),
                "y": frame["northing"].round().astype("int64"),
            }
        )
        .sort_values("postcode", kind="stable")
        .drop_duplicates("postcode")
    )
    target = Path(out)
    text = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
        zipped.write(text)
    return target


@functools.cache
def _lookup() -> pd.DataFrame:
    source = resources.files("estates_opt").joinpath("geodata", POSTCODE_FILE)
    with source.open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", dtype={"x": "float64", "y": "float64"})
    return frame.set_index("postcode")


def postcode_xy(postcodes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Easting and northing (EPSG:27700) of each postcode, NaN where it is not in London.

    Parameters
    ----------
    postcodes
        Postcodes in any case and spacing ("nw10aa", "NW1 0AA").

    Returns
    -------
    tuple of pandas.Series
        ``x`` and ``y`` with the index of ``postcodes``.
    """
    table = _lookup()
    keys = postcodes.map(normalise_postcode)
    found = table.reindex(keys.to_numpy())
    x = pd.Series(found["x"].to_numpy(dtype=np.float64), index=postcodes.index)
    y = pd.Series(found["y"].to_numpy(dtype=np.float64), index=postcodes.index)
    return x, y
