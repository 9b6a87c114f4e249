"""An analyst's own site register and zones, from the files they already have.

:func:`read_sites` and :func:`read_zones` read CSV, Excel, GeoPackage, GeoJSON or a
shapefile, rename the file's columns to the model's with ``columns=`` (shapefile field
names are at most 10 characters), place each row by geometry, BNG ``x``/``y``,
``lon``/``lat`` or a London postcode (:mod:`estates_opt.io.points`), and check every
cell against :mod:`estates_opt.schema`. Problems name the file, the row (1 = the first
row under the header) and the column as the file spells it.

Examples
--------
>>> sites = read_sites("my_sites.xlsx", columns={"Site code": "site_id",
...                    "Floor area (m2)": "capacity_m2"})  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from estates_opt.errors import InputError, Problem
from estates_opt.io.instance_files import read_csv_text
from estates_opt.io.points import locate
from estates_opt.schema import SITES, ZONES, Table
from estates_opt.validate import parse_table

__all__ = ["read_excel_text", "read_sites", "read_table", "read_zones"]

_GEO_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_ALIASES = {
    "easting": "x",
    "northing": "y",
    "longitude": "lon",
    "long": "lon",
    "lng": "lon",
    "latitude": "lat",
    "post_code": "postcode",
    "post code": "postcode",
}
_YES_NO = {"yes": "true", "y": "true", "no": "false", "n": "false"}


def read_excel_text(path: Path, sheet: str | int, file: str) -> pd.DataFrame:
    """One sheet of a workbook, every cell as text ("" for blank), like a CSV."""
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
    except ValueError as err:
        with pd.ExcelFile(path) as book:
            sheets = ", ".join(str(name) for name in book.sheet_names)
        raise InputError(
            Problem(file, f"expected a sheet named '{sheet}', got sheets {sheets}.")
        ) from err
    frame.columns = [str(c).strip() for c in frame.columns]

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return frame.map(cell).reset_index(drop=True)


def _read_any(path: Path, sheet: str | int | None, layer: str | None) -> pd.DataFrame:
    file = path.name
    if not path.exists():
        raise InputError(Problem(file, f"file not found in {path.parent}."))
    suffix = path.suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        return read_excel_text(path, 0 if sheet is None else sheet, file)
    if suffix in _GEO_SUFFIXES:
        try:
            return gpd.read_file(path, layer=layer, engine="pyogrio")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise InputError(Problem(file, f"expected a readable layer, got: {err}.")) from err
    if suffix in (".csv", ".txt"):
        return read_csv_text(path)
    raise InputError(
        Problem(
            file,
            f"expected a .csv, .xlsx, .gpkg, .geojson or .shp file, got '{suffix or 'no suffix'}'.",
        )
    )


def _rename(
    frame: pd.DataFrame, table: Table, columns: Mapping[str, str], file: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Columns renamed to the model's; returns the frame and model name -> file name."""
    known = {*table.names, "lon", "lat", "postcode"}
    header = [str(c) for c in frame.columns]
    problems = [
        Problem(file, f"expected a column '{source}' (for {target}), got none.", column=source)
        for source, target in columns.items()
        if source not in header
    ]
    problems += [
        Problem(
            file,
            f"expected a column of {table.name} ({', '.join(sorted(known))}) as the target, "
            f"got '{target}'.",
            column=source,
        )
        for source, target in columns.items()
        if target not in known
    ]
    if problems:
        raise InputError(problems)
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    renames = dict(columns)
    taken = set(columns.values())
    for name in header:
        if name in renames or name == geometry:
            continue
        key = name.strip().lower()
        target = key if key in known else _ALIASES.get(key)
        if target is not None and target not in taken and target not in header:
            renames[name] = target
            taken.add(target)
    return frame.rename(columns=renames), {new: old for old, new in renames.items()}


def read_table(
    path: str | os.PathLike[str],
    table: Table,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read, rename, place and check one table of sites or zones (see :func:`read_sites`)."""
    source = Path(path)
    file = source.name if sheet is None else f"{source.name} [{sheet}]"
    raw = _read_any(source, sheet, layer)
    frame, original = _rename(raw, table, columns or {}, file)
    for col in table.columns:
        if col.type is bool and col.name in frame.columns:
            cells = frame[col.name].astype(object)
            text = cells.where(cells.notna(), "").map(str).str.strip().str.lower()
            frame[col.name] = text.map(lambda v: _YES_NO.get(v, v))

    def label(name: str) -> str:
        return original.get(name, name)

    problems: list[Problem] = []
    located = locate(frame, file, problems, label)
    place_problems = list(problems)
    parsed = parse_table(located, table, problems)
    checks = problems[len(place_problems) :]
    if place_problems:
        checks = [p for p in checks if p.column != "geometry"]
    if place_problems or checks:
        raise InputError(
            [
                Problem(file, p.message, row=p.row, column=label(p.column) if p.column else None)
                for p in (*place_problems, *checks)
            ]
        )
    assert isinstance(parsed, gpd.GeoDataFrame)
    return parsed


def read_sites(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a site register into the model's ``sites`` table.

    Parameters
    ----------
    path
        ``.csv``, ``.xlsx``, ``.gpkg``, ``.geojson`` or ``.shp``.
    columns
        The file's column name -> the model's (``{"CAPACITY": "capacity_m2"}``).
        Model names, ``easting``/``northing``, ``longitude``/``latitude`` and ``postcode``
        are recognised in any case without a mapping.
    sheet
        Workbook sheet (default: the first).
    layer
        GeoPackage layer (default: the only one).

    Returns
    -------
    geopandas.GeoDataFrame
        Typed columns of :data:`estates_opt.schema.SITES` (extra columns kept as text),
        points or polygons in EPSG:27700; ready for :meth:`estates_opt.Instance.from_frames`.

    Raises
    ------
    InputError
        Every problem, naming file, row and column.
    """
    return read_table(path, SITES, columns=columns, sheet=sheet, layer=layer)


def read_zones(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read demand zones (population and place) into the model's ``zones`` table.

    Parameters and errors as :func:`read_sites`; polygon zones become their
    representative point.
    """
    return read_table(path, ZONES, columns=columns, sheet=sheet, layer=layer)
