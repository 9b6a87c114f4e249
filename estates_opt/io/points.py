"""Where each row is: geometry, BNG x/y, lon/lat or a London postcode, in that order.

:func:`locate` turns an analyst's table into points in British National Grid
(EPSG:27700). A row may give its place any of four ways and rows may differ; the first
one a row fills is used. Every row left without a place is reported with its row and
column.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from estates_opt.errors import Problem
from estates_opt.io.postcodes import postcode_xy

__all__ = ["CRS", "locate", "lonlat_to_bng"]

CRS = "EPSG:27700"
_TO_BNG = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def lonlat_to_bng(lon: pd.Series, lat: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Easting and northing (EPSG:27700, 0.1 m) of WGS84 longitude/latitude.

    Examples
    --------
    >>> x, y = lonlat_to_bng(pd.Series([0.015415]), pd.Series([51.401546]))
    >>> round(float(x[0])), round(float(y[0]))
    (540291, 168873)
    """
    x, y = _TO_BNG.transform(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float))
    return (
        pd.Series(np.round(x, 1), index=lon.index),
        pd.Series(np.round(y, 1), index=lat.index),
    )


def _numbers(
    frame: pd.DataFrame, name: str, label: Callable[[str], str], file: str, problems: list[Problem]
) -> pd.Series:
    """The column as floats (NaN when blank or absent); a non-number is a problem."""
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    raw = frame[name]
    text = raw.astype(object).where(raw.notna(), "").map(str).str.strip()
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")
    for pos in np.flatnonzero((text != "") & ~np.isfinite(values)):
        problems.append(
            Problem(
                file,
                f"expected a number, got {text.iloc[pos]!r}.",
                row=int(pos) + 1,
                column=label(name),
            )
        )
    return values


def locate(
    frame: pd.DataFrame, file: str, problems: list[Problem], label: Callable[[str], str] = str
) -> gpd.GeoDataFrame:
    """The rows of ``frame`` as a GeoDataFrame in EPSG:27700.

    Parameters
    ----------
    frame
        A table with any of: a geometry (any CRS), ``x``/``y`` (EPSG:27700), ``lon``/``lat``
        (WGS84 degrees), ``postcode`` (London). Those columns are dropped from the result.
    file
        The file name for problems.
    problems
        Appended: bad numbers, unknown postcodes and rows with no place.
    label
        The user's name of a column (for messages after a ``columns=`` mapping).

    Returns
    -------
    geopandas.GeoDataFrame
        With a RangeIndex; rows without a place have an empty geometry.
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        geo = frame.geometry
        if geo.crs is not None and not geo.crs.equals(CRS):
            geo = geo.to_crs(CRS)
        geometry = np.asarray(geo.to_numpy(), dtype=object)
        data = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        geometry = np.full(n, None, dtype=object)
        data = pd.DataFrame(frame)
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    x = _numbers(data, "x", label, file, problems)
    y = _numbers(data, "y", label, file, problems)
    lon = _numbers(data, "lon", label, file, problems)
    lat = _numbers(data, "lat", label, file, problems)
    use = missing & ~(x.isna() | y.isna()).to_numpy()
    has_lonlat = missing & ~use & ~(lon.isna() | lat.isna()).to_numpy()
    use_lonlat = has_lonlat.copy()
    if use_lonlat.any():
        bad = use_lonlat & ~(lon.between(-180, 180) & lat.between(-90, 90)).to_numpy()
        for pos in np.flatnonzero(bad):
            problems.append(
                Problem(
                    file,
                    f"expected longitude and latitude in degrees, got {lon[pos]:g}, {lat[pos]:g}.",
                    row=int(pos) + 1,
                    column=label("lon"),
                )
            )
        use_lonlat &= ~bad
        ex, ny = lonlat_to_bng(lon[use_lonlat], lat[use_lonlat])
        x[use_lonlat], y[use_lonlat] = ex, ny
    todo = missing & ~use & ~has_lonlat
    if "postcode" in data.columns:
        postcode = data["postcode"].astype(object).where(data["postcode"].notna(), "").map(str)
        given = todo & (postcode.str.strip() != "").to_numpy()
        px, py = postcode_xy(postcode[given])
        found = px.notna()
        for pos in found.index[~found]:
            problems.append(
                Problem(
                    file,
                    f"expected a London postcode (OS Code-Point Open, October 2025), got "
                    f"{postcode[pos].strip()!r}; give x and y or lon and lat instead.",
                    row=int(pos) + 1,
                    column=label("postcode"),
                )
            )
        x[px.index], y[py.index] = px, py
        todo &= ~given
    where = label("postcode") if "postcode" in data.columns else label("x")
    for pos in np.flatnonzero(todo):
        problems.append(
            Problem(
                file,
                "expected a place: x and y (EPSG:27700), lon and lat, a London postcode or "
                "a geometry, got none.",
                row=int(pos) + 1,
                column=where,
            )
        )
    fill = missing & (x.notna() & y.notna()).to_numpy()
    geometry[fill] = shapely.points(x[fill].to_numpy(), y[fill].to_numpy())
    data = data.drop(columns=[c for c in ("x", "y", "lon", "lat") if c in data.columns])
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs=CRS), crs=CRS)
