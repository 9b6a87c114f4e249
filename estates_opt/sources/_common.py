"""Helpers shared by the source loaders: column layout and tolerant column picking."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem

SITE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "name",
    "borough",
    "owner",
    "x",
    "y",
    "capacity_m2",
    "running_cost",
    "backlog_cost",
    "market_value",
    "housing_units",
    "disposable",
    "earliest_disposal",
    "services",
)
"""The MODEL.md section 1 ``sites`` columns, in file order."""

ZONE_COLUMNS: tuple[str, ...] = ("zone_id", "borough", "x", "y", "population")
"""The MODEL.md section 1 ``zones`` columns, in file order."""


Source = str | Path | IO[str]
"""A file path or an open text stream (``io.StringIO`` in the examples)."""


def file_name(source: Source) -> str:
    """The name error messages use for a source."""
    if isinstance(source, str | Path):
        return Path(source).name
    return Path(str(getattr(source, "name", "<stream>"))).name


def read_table(source: Source, **kwargs: object) -> pd.DataFrame:
    """Read a UTF-8 CSV (a byte-order mark is accepted) with every column as text."""
    if isinstance(source, str | Path):
        source = Path(source)
        if not source.is_file():
            raise InputError(Problem(source.name, f"file not found in {source.parent}."))
    elif hasattr(source, "seek"):
        source.seek(0)
    return pd.read_csv(
        source,
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
        **kwargs,
    )


def first_column(
    frame: pd.DataFrame, names: Sequence[str], file: str, *, required: bool = True
) -> str | None:
    """The first of ``names`` that is a column of ``frame`` (year or vintage variants)."""
    for name in names:
        if name in frame.columns:
            return name
    if required:
        raise InputError(
            Problem(file, f"expected one of the columns {', '.join(map(repr, names))}, got none.")
        )
    return None


def numbers(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """A text column as floats: blanks, ``-`` and thousands separators handled; NaN if absent."""
    if column is None or column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    text = frame[column].astype(str).str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(text.replace({"": None, "-": None, "nan": None}), errors="coerce")


def truthy(series: pd.Series) -> pd.Series:
    """``True``/``1``/``yes`` text as booleans."""
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "y"])


def site_frame(columns: dict[str, object], index: pd.Index) -> pd.DataFrame:
    """A sites frame with the MODEL.md columns first, then any extra columns given."""
    frame = pd.DataFrame(columns, index=index)
    for column in SITE_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    extra = [c for c in frame.columns if c not in SITE_COLUMNS]
    return frame[list(SITE_COLUMNS) + extra].reset_index(drop=True)
