"""Instance folders on disk: :func:`read_instance` and :func:`write_instance`.

A folder holds ``sites.csv`` or ``sites.gpkg``, ``zones.csv`` or ``zones.gpkg``, optional
``projects.csv`` and ``travel.csv``, and ``scenario.toml`` (MODEL.md section 1). CSV files
are UTF-8 (a byte-order mark and Windows line endings are fine); every cell is read as
text and parsed by :mod:`estates_opt.validate`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance, validate_instance_frames
from estates_opt.io.output_guard import atomic_folder
from estates_opt.io.scenario_file import read_scenario, scenario_to_toml
from estates_opt.scenario import SCENARIO_FILE
from estates_opt.schema import PROJECTS, SITES, TRAVEL, ZONES, Table

__all__ = ["read_csv_text", "read_instance", "write_instance"]

_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell of a UTF-8 CSV file as text (no NA conversion)."""
    file = path.name
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            Problem(
                file,
                f"expected UTF-8 text, got byte 0x{data[err.start]:02x} that is not UTF-8 "
                "(save the file as 'CSV UTF-8').",
                row=line - 1 if line > 1 else None,
            )
        ) from err
    if not text.strip():
        raise InputError(
            Problem(file, "expected a header row and at least one data row, got an empty file.")
        )
    header = next(csv.reader(io.StringIO(text)), [])
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(
            [Problem(file, "expected each column once in the header, got it twice or more.",
                     column=name) for name in repeated]
        )  # fmt: skip
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, engine="c"
        )
    except pd.errors.ParserError as err:
        found = _FIELDS.search(str(err))
        if found is None:
            raise InputError(Problem(file, f"expected CSV text, got a parse error: {err}")) from err
        expected, line, saw = (int(g) for g in found.groups())
        raise InputError(
            Problem(
                file,
                f"expected {expected} fields like the header, got {saw} "
                "(a comma inside an unquoted cell?).",
                row=line - 1,
            )
        ) from err


def _read_gpkg(path: Path, table: Table) -> gpd.GeoDataFrame:
    """The one layer of a GeoPackage (or its layer named after the table)."""
    file = path.name
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
        if len(layers) > 1 and table.name not in layers:
            raise InputError(
                Problem(
                    file,
                    f"expected one layer or a layer named '{table.name}', got layers "
                    f"{', '.join(layers)}.",
                )
            )
        layer = table.name if table.name in layers else None
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as err:
        raise InputError(Problem(file, f"expected a GeoPackage, got an error: {err}.")) from err
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(Problem(file, "expected a layer with geometry, got a plain table."))
    return frame


def _read_table(folder: Path, table: Table, problems: list[Problem]) -> pd.DataFrame | None:
    csv, gpkg = folder / f"{table.name}.csv", folder / f"{table.name}.gpkg"
    try:
        if csv.is_file() and gpkg.is_file():
            problems.append(
                Problem(
                    csv.name,
                    f"expected either {csv.name} or {gpkg.name} in {folder}, got both.",
                )
            )
        elif csv.is_file():
            return read_csv_text(csv)
        elif gpkg.is_file() and table.has_geometry:
            return _read_gpkg(gpkg, table)
        elif table in (SITES, ZONES):
            problems.append(
                Problem(
                    csv.name, f"file not found; expected {csv.name} or {gpkg.name} in {folder}."
                )
            )
    except InputError as err:
        problems += err.problems
    return None


def read_instance(path: str | os.PathLike[str]) -> Instance:
    """Read and validate an instance folder.

    Parameters
    ----------
    path
        The folder (MODEL.md section 1), or an estate workbook (``.xlsx``, as
        ``estates-opt template`` writes; see :mod:`estates_opt.io.workbook`).

    Returns
    -------
    Instance
        Named after the folder (or the workbook without its suffix).

    Raises
    ------
    InputError
        Naming file, row and column of every problem found.

    Examples
    --------
    >>> inst = read_instance("data/ncl_pilot")  # doctest: +SKIP
    """
    folder = Path(path)
    if folder.suffix.lower() in (".xlsx", ".xlsm") and folder.is_file():
        from estates_opt.io.workbook import read_workbook

        return read_workbook(folder)
    if not folder.is_dir():
        found = "a file" if folder.exists() else "nothing"
        raise InputError(Problem(str(folder), f"expected an instance folder, found {found}."))
    problems: list[Problem] = []
    frames = {t.name: _read_table(folder, t, problems) for t in (SITES, ZONES, PROJECTS, TRAVEL)}
    scenario = None
    try:
        scenario = read_scenario(folder / SCENARIO_FILE)
    except InputError as err:
        problems += err.problems
    if problems:
        raise InputError(problems)
    assert scenario is not None and frames["sites"] is not None and frames["zones"] is not None
    return validate_instance_frames(
        sites=frames["sites"],
        zones=frames["zones"],
        projects=frames["projects"],
        travel=frames["travel"],
        scenario=scenario,
        name=folder.resolve().name,
    )


def _format_floats(values: pd.Series) -> pd.Series:
    """Shortest text that reads back to the same float ('7620000' rather than '7620000.0')."""
    text = values.astype("float64").map(float.__repr__).astype(str)
    return text.str.replace(r"\.0$", "", regex=True)


def _csv_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The frame as text columns in file order, ``x``/``y`` from point geometry."""
    columns: dict[str, pd.Series] = {}
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    for col in table.columns:
        if col.geometry:
            assert geometry is not None
            columns[col.name] = _format_floats(getattr(geometry, col.name))
        elif col.name in frame.columns:
            columns[col.name] = frame[col.name]
    for name in frame.columns:
        if name not in columns and (geometry is None or name != geometry.name):
            columns[name] = frame[name]
    out = {}
    for name, series in columns.items():
        if pd.api.types.is_bool_dtype(series):
            out[name] = series.map({True: "true", False: "false"})
        elif pd.api.types.is_float_dtype(series):
            out[name] = _format_floats(series)
        elif pd.api.types.is_integer_dtype(series):
            out[name] = series.astype(str)
        else:
            out[name] = series.astype(object).where(series.notna(), "").map(str)
    return pd.DataFrame(out, index=frame.index, columns=list(columns))


def _write_csv(frame: pd.DataFrame, table: Table, path: Path) -> None:
    _csv_frame(frame, table).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_table(frame: pd.DataFrame, table: Table, folder: Path) -> None:
    if isinstance(frame, gpd.GeoDataFrame):
        kinds = frame.geom_type
        if len(frame) and not (kinds == "Point").all():
            frame.to_file(folder / f"{table.name}.gpkg", driver="GPKG", layer=table.name)
            return
    _write_csv(frame, table, folder / f"{table.name}.csv")


def write_instance(
    instance: Instance, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write an instance folder that :func:`read_instance` reads back to an equal instance.

    Sites and zones go to CSV with ``x``/``y`` when every geometry is a point, else to a
    GeoPackage. The folder is written beside the target and renamed into place, so a
    reader never sees half of it.

    Parameters
    ----------
    instance
        The instance to write.
    path
        The folder to create.
    overwrite
        Replace an existing non-empty folder that holds nothing but instance files.

    Returns
    -------
    pathlib.Path
        The folder written.

    Raises
    ------
    OutputExistsError
        ``path`` is a non-empty folder (or a file) and ``overwrite`` is false, or it
        holds a file that is not an instance file (a ``FileExistsError``).
    """
    target = Path(path)
    with atomic_folder(target, kind="instance", overwrite=overwrite) as tmp:
        _write_table(instance.sites, SITES, tmp)
        _write_table(instance.zones, ZONES, tmp)
        _write_csv(instance.projects, PROJECTS, tmp / "projects.csv")
        if instance.travel is not None:
            _write_csv(instance.travel, TRAVEL, tmp / "travel.csv")
        (tmp / SCENARIO_FILE).write_text(scenario_to_toml(instance.scenario), encoding="utf-8")
    return target
