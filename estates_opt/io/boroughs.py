"""London borough names and simplified boundaries, from package data.

``estates_opt/geodata/london_boroughs.geojson`` holds the 33 London local authority
districts (ONS, December 2022, generalised 20 m) simplified to 50 m, in EPSG:27700
with coordinates rounded to 1 m: small enough to ship, exact enough for a report map.
:func:`build_borough_boundaries` makes it from the shared extract.
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from pathlib import Path

import geopandas as gpd
import shapely

__all__ = ["BOROUGH_FILE", "borough_names", "build_borough_boundaries", "london_boroughs"]

BOROUGH_FILE = "london_boroughs.geojson"
"""Name of the packaged boundaries inside ``estates_opt/geodata``."""

CRS = "EPSG:27700"


def build_borough_boundaries(
    source: str | os.PathLike[str], out: str | os.PathLike[str], *, tolerance_m: float = 50.0
) -> Path:
    """Write the compact boundaries from ``london_boroughs_27700.gpkg``.

    Parameters
    ----------
    source
        The ONS boundaries (columns ``LAD22CD``, ``LAD22NM``) in EPSG:27700.
    out
        The GeoJSON to write (``code``, ``name``, geometry in EPSG:27700).
    tolerance_m
        Douglas-Peucker tolerance; shared edges stay shared (topology kept per polygon).

    Returns
    -------
    pathlib.Path
    """
    frame = gpd.read_file(source, engine="pyogrio").to_crs(CRS).sort_values("LAD22CD")
    geometry = shapely.set_precision(frame.geometry.simplify(tolerance_m).to_numpy(), 1.0)
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": shapely.geometry.mapping(geom),
        }
        for code, name, geom in zip(frame["LAD22CD"], frame["LAD22NM"], geometry, strict=True)
    ]
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": features,
    }
    target = Path(out)
    target.write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")
    return target


@functools.cache
def _boundaries() -> gpd.GeoDataFrame:
    source = resources.files("estates_opt").joinpath("geodata", BOROUGH_FILE)
    with source.open("rb") as handle:
        frame = gpd.read_file(handle, engine="pyogrio")
    return frame.set_crs(CRS, allow_override=True)


def london_boroughs() -> gpd.GeoDataFrame:
    """The 33 London boroughs: ``code`` (E09...), ``name`` and polygons in EPSG:27700."""
    return _boundaries().copy()


def borough_names() -> dict[str, str]:
    """Borough name by ONS code ("E09000007" -> "Camden")."""
    frame = _boundaries()
    return dict(zip(frame["code"], frame["name"], strict=True))
