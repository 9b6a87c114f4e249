"""Coordinates: easting/northing columns, or lon/lat reprojected to EPSG:27700."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from estates_opt.sources._common import numbers

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def bng_xy(
    frame: pd.DataFrame, xy: tuple[str, str], lonlat: tuple[str, str]
) -> tuple[pd.Series, pd.Series]:
    """Easting and northing (EPSG:27700) of each row, NaN where the row has none.

    Uses the ``xy`` columns where present and filled, else reprojects ``lonlat``.
    """
    x, y = numbers(frame, xy[0]), numbers(frame, xy[1])
    lon, lat = numbers(frame, lonlat[0]), numbers(frame, lonlat[1])
    fill = x.isna() & lon.notna() & lat.notna()
    if fill.any():
        ex, ny = _TO_BNG.transform(lon[fill].to_numpy(), lat[fill].to_numpy())
        x[fill], y[fill] = np.round(ex, 1), np.round(ny, 1)
    return x, y
