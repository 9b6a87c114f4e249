"""ONS population-weighted centroids with population, and IoD2019 income deciles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.sources._common import (
    ZONE_COLUMNS,
    Source,
    file_name,
    first_column,
    numbers,
    read_table,
)
from estates_opt.sources._coords import bng_xy

__all__ = ["IOD_AREAS_ENGLAND_WALES", "read_income_deciles", "read_population_points"]

# (code, name, borough, easting, northing, longitude, latitude, population) per vintage.
_LAYOUTS = (
    ("MSOA21CD", "MSOA21NM", "LAD22CD", "popw_easting", "popw_northing", "popw_lon", "popw_lat",
     "pop_total"),
    ("LSOA21CD", "LSOA21NM", "LAD22CD", "pwc_easting", "pwc_northing", "pwc_lon", "pwc_lat",
     "pop_total"),
    ("LSOA11CD", "LSOA11NM", "LAD11CD", "pwc_easting", "pwc_northing", "pwc_lon", "pwc_lat",
     "mid2020_all_ages"),
)  # fmt: skip

IOD_AREAS_ENGLAND_WALES = 34_753
"""LSOAs ranked in the England and Wales combined IoD2019 income file (rank 1 = most deprived)."""


def read_population_points(source: Source, *, population: str | None = None) -> pd.DataFrame:
    """Read an ONS population-weighted centroid table into a MODEL.md ``zones`` frame.

    Parameters
    ----------
    source
        CSV with an area code, name, local authority code, a point (easting/northing
        in EPSG:27700, or lon/lat) and a population column. MSOA 2021, LSOA 2021 and
        LSOA 2011 layouts are recognised by their column names.
    population
        Name of the population column, to override the layout's default
        (e.g. ``pop_65_plus`` for an older-people service).

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``borough``, ``x``, ``y``, ``population`` then ``name``. Rows
        without a point raise :class:`estates_opt.InputError`.

    Examples
    --------
    >>> import io
    >>> text = (
    ...     "MSOA21CD,MSOA21NM,LAD22CD,popw_easting,popw_northing,pop_total\\n"
    ...     "E02000166,Camden 001,E09000007,529000.0,184000.0,8000\\n"
    ... )
    >>> print(read_population_points(io.StringIO(text)))
         zone_id    borough         x         y  population        name
    0  E02000166  E09000007  529000.0  184000.0      8000.0  Camden 001
    """
    name = file_name(source)
    raw = read_table(source)
    layout = next((lay for lay in _LAYOUTS if lay[0] in raw.columns), None)
    if layout is None:
        first_column(raw, [lay[0] for lay in _LAYOUTS], name)
        raise AssertionError("unreachable")  # pragma: no cover
    code, label, borough, east, north, lon, lat, pop = layout
    x, y = bng_xy(raw, (east, north), (lon, lat))
    people = numbers(raw, first_column(raw, [population or pop], name))
    missing = np.flatnonzero(x.isna().to_numpy() | people.isna().to_numpy())
    if missing.size:
        row = int(missing[0]) + 1
        raise InputError(
            Problem(
                name,
                "expected a point and a population, got a blank.",
                row=row,
                column=f"{east}/{pop}",
            )
        )
    zones = pd.DataFrame(
        {
            "zone_id": raw[code].str.strip(),
            "borough": raw[first_column(raw, [borough], name)].str.strip(),
            "x": x,
            "y": y,
            "population": people.astype(float),
            "name": raw[label].str.strip() if label in raw.columns else raw[code].str.strip(),
        }
    )
    return zones[[*ZONE_COLUMNS, "name"]].reset_index(drop=True)


def read_income_deciles(
    source: Source, *, areas: int = IOD_AREAS_ENGLAND_WALES, rank: str = "iod2019_income_rank"
) -> pd.DataFrame:
    """IoD2019 income-domain decile of each LSOA 2011 (1 = most deprived tenth).

    ``decile = floor((rank - 1) * 10 / areas) + 1``. The shared extract carries the
    England and Wales combined ranks (``areas`` = 34,753), not the England-only ranks
    (32,844) and not the overall IMD, which is not in the file.

    Returns
    -------
    pandas.DataFrame
        ``lsoa11_code``, ``income_rank``, ``income_decile`` (int 1..10),
        ``population`` (the file's mid-2020 population, 0 if absent).

    Examples
    --------
    >>> import io
    >>> text = "LSOA11CD,iod2019_income_rank\\nE01000001,1\\nE01000002,34753\\nE01000003,15000\\n"
    >>> read_income_deciles(io.StringIO(text))["income_decile"].tolist()
    [1, 10, 5]
    """
    name = file_name(source)
    raw = read_table(source)
    ranks = numbers(raw, first_column(raw, [rank], name))
    bad = np.flatnonzero(~ranks.between(1, areas).to_numpy())
    if bad.size:
        raise InputError(
            Problem(
                name,
                f"expected a rank in 1..{areas}, got '{raw[rank].iloc[bad[0]]}'.",
                row=int(bad[0]) + 1,
                column=rank,
            )
        )
    people = numbers(raw, "mid2020_all_ages").fillna(0.0)
    return pd.DataFrame(
        {
            "lsoa11_code": raw[first_column(raw, ["LSOA11CD"], name)].str.strip(),
            "income_rank": ranks.astype(int),
            "income_decile": ((ranks.astype(int) - 1) * 10 // areas + 1).astype(int),
            "population": people.astype(float),
        }
    )
