"""Input rules of MODEL.md section 7, table by table: columns, types, ranges, geometry.

:func:`parse_table` types one raw table (all-text frame as read from CSV, typed frame or
GeoDataFrame) against its :mod:`~estates_opt.schema` entry and adds a
:class:`~estates_opt.errors.Problem` per bad cell, naming file, row and column. Row numbers
are 1-based data rows: the first row under the header is row 1.
"""

from __future__ import annotations

import difflib
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from estates_opt.errors import DataWarning, Problem
from estates_opt.schema import ZONES, Column, Table

__all__ = ["CRS", "MAX_PROBLEMS_PER_COLUMN", "cell_problems", "parse_table", "warn_data"]

CRS = "EPSG:27700"
"""British National Grid: the CRS of every instance geometry."""

MAX_PROBLEMS_PER_COLUMN = 10
"""Cells listed per column and kind of problem before the rest are summarised."""

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_GEOMETRIES = frozenset({"Point", "Polygon", "MultiPolygon"})  # zone polygons become points


def warn_data(message: str) -> None:
    """Emit a :class:`DataWarning` pointing at the first caller outside estates_opt."""
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, DataWarning, stacklevel=level)


# ---------------------------------------------------------------------------------------
# Pass 1: one table at a time
# ---------------------------------------------------------------------------------------


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _text(series: pd.Series) -> pd.Series:
    """Cells as Python strings ("" for missing text), for parsing and messages."""
    if _is_text(series):
        values = series.astype(object).where(series.notna(), "")
        return values.map(str)
    return series.astype(object).map(str)


def cell_problems(
    file: str, column: str, mask: np.ndarray, message: pd.Series | str
) -> list[Problem]:
    """One problem per flagged row (the first few), then one summary of the rest."""
    rows = np.flatnonzero(mask)
    problems = []
    for pos in rows[:MAX_PROBLEMS_PER_COLUMN]:
        text = message if isinstance(message, str) else message.iloc[pos]
        problems.append(Problem(file, text, row=int(pos) + 1, column=column))
    if len(rows) > MAX_PROBLEMS_PER_COLUMN:
        more = len(rows) - MAX_PROBLEMS_PER_COLUMN
        problems.append(
            Problem(file, f"and {more} more rows with the same kind of problem.", column=column)
        )
    return problems


def _got(raw: pd.Series) -> pd.Series:
    return raw.map(lambda v: "got an empty cell." if not v.strip() else f"got {v!r}.")


def _parse_number(series: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Float values, a mask of bad cells (blank, not a number, not finite, below the
    minimum, not an integer) and a mask of cells beyond the column's largest magnitude."""
    raw = _text(series).str.strip()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("float64").reset_index(drop=True)
        if not col.required:
            values = values.fillna(float(col.default))
    else:
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        if not col.required:
            values = values.mask(raw == "", float(col.default))
    array = values.to_numpy()
    bad = ~np.isfinite(array)
    if col.min is not None:
        bad |= np.isfinite(array) & (array < col.min)
    if col.type is int:
        # periods and build times: anything beyond 32-bit is a typo, and would overflow
        bad |= np.isfinite(array) & ((array != np.floor(array)) | (np.abs(array) > 2**31 - 1))
    huge = ~bad & np.isfinite(array) & (np.abs(array) > col.max_magnitude)
    return values, bad, huge


def _parse_bool(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool).reset_index(drop=True), np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64").reset_index(drop=True)
        return values == 1, ~values.isin([0.0, 1.0]).to_numpy()
    key = _text(series).str.strip().str.lower()
    truth = key.isin(_TRUE)
    bad = ~(truth | key.isin(_FALSE)).to_numpy()
    return truth, bad


def _parse_text(series: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray]:
    values = _text(series).str.strip()
    bad = np.zeros(len(values), dtype=bool)
    if col.choices is not None:
        values = values.str.lower()
        bad |= ((values != "") & ~values.isin(col.choices)).to_numpy()
    if col.nonempty:
        bad |= (values == "").to_numpy()
    if not col.required:
        values = values.mask(values == "", col.default)
    return values, bad


def _parse_column(series: pd.Series, col: Column, file: str, problems: list[Problem]) -> pd.Series:
    """The column typed as the schema says; bad cells are added to ``problems``."""
    series = series.reset_index(drop=True)
    huge = np.zeros(len(series), dtype=bool)
    if col.type is bool:
        values, bad = _parse_bool(series)
    elif col.type in (int, float):
        values, bad, huge = _parse_number(series, col)
    else:
        values, bad = _parse_text(series, col)
    if bad.any() or huge.any():
        full = pd.Series("", index=series.index, dtype=object)
        for mask, expected in ((bad, col.expected), (huge, col.too_large)):
            got = _got(_text(series[mask]))
            full[mask] = pd.Series(f"expected {expected}, ", index=got.index) + got
        problems += cell_problems(file, col.name, bad | huge, full)
        return values
    if col.type is int:
        return values.astype("int64")
    if col.type is float:
        return values.astype("float64")
    if col.type is bool:
        return values.astype(bool)
    return values.astype(str)


def _missing_column(table: Table, col: Column, file: str, header: list[str]) -> Problem:
    close = difflib.get_close_matches(col.name, header, n=1)
    hint = f" (found '{close[0]}': a typo?)" if close else ""
    return Problem(
        file,
        f"missing required column '{col.name}' ({col.doc}); expected it in the header{hint}.",
        column=col.name,
    )


def _parse_geometry(
    frame: gpd.GeoDataFrame, table: Table, file: str, problems: list[Problem]
) -> gpd.GeoSeries | None:
    """Geometry of a GeoDataFrame, checked and in EPSG:27700 (None if it has problems)."""
    geom = frame.geometry.reset_index(drop=True)
    if geom.crs is None:
        problems.append(
            Problem(
                file,
                "expected a coordinate reference system (CRS), got none; "
                f"set one (e.g. {CRS}) on the layer.",
                column=frame.geometry.name,
            )
        )
        return None
    column = str(frame.geometry.name)
    allowed = _GEOMETRIES
    kinds = "a point or polygon geometry"
    array = geom.to_numpy()
    missing = shapely.is_missing(array) | shapely.is_empty(array)
    before = len(problems)
    problems += cell_problems(file, column, missing, f"expected {kinds}, got an empty geometry.")
    names = geom.geom_type.fillna("")
    wrong = ~missing & ~names.isin(allowed).to_numpy()
    problems += cell_problems(
        file, column, wrong, pd.Series(f"expected {kinds}, got a ", index=names.index) + names + "."
    )
    invalid = ~missing & ~wrong & ~shapely.is_valid(array)
    if invalid.any():
        reasons = pd.Series(shapely.is_valid_reason(array), index=names.index)
        message = "expected a valid geometry, got an invalid " + names + " (" + reasons + ")."
        problems += cell_problems(file, column, invalid, message)
    if len(problems) > before:
        return None
    if not geom.crs.equals(CRS):
        warn_data(f"{file}: reprojected from {geom.crs.to_string()} to {CRS}.")
        geom = geom.to_crs(CRS)
    if table is ZONES:
        polygons = (geom.geom_type != "Point").to_numpy()
        if polygons.any():
            warn_data(
                f"{file}: {int(polygons.sum())} polygon zone(s) reduced to their "
                "representative point."
            )
            geom = geom.where(~polygons, geom.representative_point())
    return gpd.GeoSeries(geom.to_numpy(), crs=CRS, name="geometry")


def parse_table(frame: pd.DataFrame, table: Table, problems: list[Problem]) -> pd.DataFrame | None:
    """Parse one table against :mod:`estates_opt.schema`.

    Parameters
    ----------
    frame
        Raw (all-text) or typed frame; a GeoDataFrame for a GeoPackage table.
    table
        Its schema (``schema.SITES`` ...).
    problems
        Every problem found is appended here.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame or None
        Schema columns typed in schema order (``x``/``y`` turned into geometry), extra
        columns as text, a RangeIndex; None when the table has problems.
    """
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    file = f"{table.name}.{'gpkg' if is_geo else 'csv'}"
    before = len(problems)
    data = pd.DataFrame(frame.drop(columns=frame.geometry.name) if is_geo else frame)
    data = data.reset_index(drop=True)
    data.columns = [str(c).strip() for c in data.columns]
    header = list(data.columns)
    if is_geo:
        coords = [c.name for c in table.columns if c.geometry and c.name in header]
        if coords:
            warn_data(f"{file}: ignored columns {', '.join(coords)}; the geometry is used.")
            data = data.drop(columns=coords)
    columns: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.geometry and is_geo:
            continue
        if col.name not in data.columns:
            if col.required:
                problems.append(_missing_column(table, col, file, header))
            else:
                columns[col.name] = pd.Series([col.default] * len(data), dtype=col.type)
            continue
        columns[col.name] = _parse_column(data[col.name], col, file, problems)
    geometry = None
    if is_geo:
        geometry = _parse_geometry(frame, table, file, problems)
    if len(problems) > before:
        return None
    if table.has_geometry and not is_geo:
        geometry = gpd.GeoSeries.from_xy(columns.pop("x"), columns.pop("y"), crs=CRS)
    for name in header:
        if name not in table.names and name not in columns:
            columns[name] = _text(data[name]).astype(str)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(data)))
    if geometry is not None:
        return gpd.GeoDataFrame(out, geometry=geometry.rename("geometry"), crs=CRS)
    return out


# ---------------------------------------------------------------------------------------
# Pass 2: rules across rows, tables and the scenario
# ---------------------------------------------------------------------------------------
