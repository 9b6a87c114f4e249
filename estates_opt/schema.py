"""Every column of the instance tables, once: type, range, default, unit and meaning.

This is the single place that spells MODEL.md section 1 for the CSV / GeoPackage
tables; :mod:`estates_opt.validate` parses and checks frames against it and
:mod:`estates_opt.io` writes them back in this column order.

Examples
--------
>>> SITES.column("capacity_m2").expected
'a finite number >= 0'
>>> SITES.column("earliest_disposal").default
1
>>> [c.name for c in TRAVEL.columns]
['zone_id', 'site_id', 'distance_m']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estates_opt.scenario import MAX_MAGNITUDE

__all__ = [
    "PROJECTS",
    "PROJECT_KINDS",
    "SITES",
    "TABLES",
    "TRAVEL",
    "ZONES",
    "Column",
    "Table",
]

PROJECT_KINDS: tuple[str, ...] = ("extend", "refurbish", "new_build", "colocation")
"""Allowed values of ``projects.kind`` (informational; blank is allowed)."""


@dataclass(frozen=True)
class Column:
    """One column of an instance table.

    Parameters
    ----------
    name
        Column name, exactly as in the file header.
    type
        ``str``, ``float``, ``int`` or ``bool``.
    required
        The column must be in the file. An optional column that is missing, and a
        blank cell of it, take ``default``.
    default
        Value of an optional column when absent or blank.
    min
        Lower bound (inclusive) of a number, ``None`` for any finite number.
    max_magnitude
        Largest absolute value of a number (:data:`MAX_MAGNITUDE` for floats).
    nonempty
        A text cell may not be blank (ids and references).
    choices
        Allowed values of a text cell (blank allowed unless ``nonempty``).
    unit
        Unit of a number (``GBP``, ``m2``, ...), ``""`` when none.
    doc
        One-line meaning.
    geometry
        ``x``/``y``: read from CSV only; a GeoPackage carries geometry instead.
    """

    name: str
    type: type
    required: bool = True
    default: Any = None
    min: float | None = None
    max_magnitude: float = MAX_MAGNITUDE
    nonempty: bool = False
    choices: tuple[str, ...] | None = None
    unit: str = ""
    doc: str = ""
    geometry: bool = False

    @property
    def expected(self) -> str:
        """What a valid cell looks like, for error messages."""
        if self.type is bool:
            return "true, false, 1 or 0"
        if self.type is int:
            return "an integer" + (f" >= {self.min:g}" if self.min is not None else "")
        if self.type is float:
            return "a finite number" + (f" >= {self.min:g}" if self.min is not None else "")
        if self.choices is not None:
            allowed = ", ".join(self.choices)
            return f"one of {allowed}" + ("" if self.nonempty else " (or blank)")
        return "a non-empty value" if self.nonempty else "text"

    @property
    def too_large(self) -> str:
        """What a cell beyond :attr:`max_magnitude` is told, for error messages."""
        return (
            f"a number of magnitude at most {self.max_magnitude:g} "
            f"({self.unit or 'units'}; larger values are typos or 'no limit' stand-ins "
            "the solvers cannot resolve)"
        )


@dataclass(frozen=True)
class Table:
    """The columns of one instance table and its id column."""

    name: str
    columns: tuple[Column, ...]
    id_column: str | None = None
    has_geometry: bool = False

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if unknown)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Column names in file order."""
        return [col.name for col in self.columns]


def _id(name: str, doc: str) -> Column:
    return Column(name, str, nonempty=True, doc=doc)


def _amount(name: str, unit: str, doc: str) -> Column:
    return Column(name, float, min=0.0, unit=unit, doc=doc)


def _coord(name: str, doc: str) -> Column:
    return Column(name, float, unit="m", doc=doc, geometry=True)


SITES = Table(
    "sites",
    (
        _id("site_id", "unique id of the site"),
        Column("name", str, required=False, default="", doc="site name"),
        Column("borough", str, nonempty=True, doc="borough code (ONS, e.g. E09000007) or name"),
        Column("owner", str, required=False, default="", doc="owning organisation"),
        _coord("x", "easting, EPSG:27700 (CSV only)"),
        _coord("y", "northing, EPSG:27700 (CSV only)"),
        _amount("capacity_m2", "m2", "usable floor area for services; 0 for a candidate location"),
        _amount("running_cost", "GBP/year", "running cost per year while the site is held"),
        _amount("backlog_cost", "GBP", "backlog maintenance needed while held"),
        _amount("market_value", "GBP", "net capital receipt if disposed"),
        _amount("housing_units", "homes", "homes deliverable on the land if disposed"),
        Column("disposable", bool, doc="false: must be retained (e.g. acute core)"),
        Column(
            "earliest_disposal",
            int,
            required=False,
            default=1,
            min=1,
            unit="period",
            doc="first period in which disposal is possible",
        ),
        Column(
            "services",
            str,
            required=False,
            default="",
            doc="';'-separated services the site can host today; may be empty",
        ),
    ),
    id_column="site_id",
    has_geometry=True,
)

ZONES = Table(
    "zones",
    (
        _id("zone_id", "unique id of the demand zone"),
        Column("borough", str, nonempty=True, doc="borough code or name"),
        _coord("x", "easting of the population-weighted centroid, EPSG:27700 (CSV only)"),
        _coord("y", "northing of the population-weighted centroid, EPSG:27700 (CSV only)"),
        _amount("population", "residents", "residents in period 1"),
    ),
    id_column="zone_id",
    has_geometry=True,
)

PROJECTS = Table(
    "projects",
    (
        _id("project_id", "unique id of the project"),
        _id("site_id", "site the project is built on (a site_id of sites)"),
        Column(
            "kind",
            str,
            required=False,
            default="",
            choices=PROJECT_KINDS,
            doc="extend, refurbish, new_build or colocation (informational)",
        ),
        _amount("capex", "GBP", "capital cost, spent in the start period"),
        _amount("added_capacity_m2", "m2", "floor area the project adds"),
        Column(
            "services",
            str,
            required=False,
            default="",
            doc="';'-separated services the project makes available at the site",
        ),
        Column(
            "running_cost_delta",
            float,
            unit="GBP/year",
            doc="change in running cost per year once ready; negative is a saving",
        ),
        Column(
            "build_periods",
            int,
            min=0,
            unit="periods",
            doc="ready this many periods after its start period",
        ),
        Column(
            "earliest_start",
            int,
            required=False,
            default=1,
            min=1,
            unit="period",
            doc="first period in which the project may start",
        ),
        Column(
            "exclusive_group",
            str,
            required=False,
            default="",
            doc="at most one project of a group is built; blank for none",
        ),
    ),
    id_column="project_id",
)

TRAVEL = Table(
    "travel",
    (
        _id("zone_id", "a zone_id of zones"),
        _id("site_id", "a site_id of sites"),
        Column(
            "distance_m",
            float,
            min=0.0,
            unit="m",
            doc="network distance or generalised travel measure (same unit as max_distance_m)",
        ),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (SITES, ZONES, PROJECTS, TRAVEL)}
"""The four tables by name."""
