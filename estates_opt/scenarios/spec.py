"""Scenario sets: named variations of a base instance, from TOML or Python.

A :class:`Variant` is a small, JSON-able set of parameters applied to a base
:class:`~estates_opt.instance.Instance` by :func:`apply_variant`. Its keys are

- any :class:`~estates_opt.scenario.Scenario` field (``housing_target``,
  ``capital_budget``, ``receipt_retention``, ``keep``, ``dispose``, ...): the new value;
- ``reach_factor``: every service's ``max_distance_m`` multiplied by this factor;
- ``reach.<service>``: that service's ``max_distance_m`` in metres;
- ``<table>.<column>`` with table ``sites``, ``zones`` or ``projects``: a data variation,
  either a factor for the whole column (``"sites.market_value": 0.8``) or
  ``{"by": COLUMN, "factors": {VALUE: factor}}`` for one factor per group of rows
  (``by = "borough"``, ``"site_id"``, ...; rows of other groups keep factor 1; projects
  may group by any column of their site, e.g. ``borough``).

The varied instance is validated again (MODEL.md section 7), so a variation that breaks
a rule fails with the usual :class:`~estates_opt.errors.InputError`.

``scenarios.toml`` (next to ``scenario.toml``)::

    include = ["more_scenarios.toml"]   # optional; paths stay inside the instance folder

    [grid]                              # every combination of these values
    housing_target = [0, 100, 150]
    capital_budget = [1.0e5, 2.0e5]
    reach_factor = [0.8, 1.0]

    [[variant]]                         # explicit named variants
    name = "land values -20%"
    "sites.market_value" = 0.8
    keep = ["S05"]
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance
from estates_opt.scenario import Scenario, Service

__all__ = [
    "MAX_GRID",
    "SCENARIOS_FILE",
    "ScenarioSet",
    "Variant",
    "apply_variant",
    "check_grid",
    "read_scenario_set",
]

SCENARIOS_FILE = "scenarios.toml"
#: most combinations one grid may have (checked before any variant is built)
MAX_GRID = 10_000
SCENARIO_FIELDS = tuple(f.name for f in dataclasses.fields(Scenario) if f.name != "services")
TABLES = ("sites", "zones", "projects")
_TOP_KEYS = ("include", "grid", "variant")
_LOCKS = ("keep", "dispose", "build", "forbid")
_SOLVER_KEYS = ("fix_decisions", "max_avg_distance_m")  # set by frontier / uncertainty


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        return "[" + ",".join(_label(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Variant:
    """One scenario of a set: a name and its parameters (see the module docstring).

    Examples
    --------
    >>> v = Variant.of(housing_target=150, reach_factor=0.8)
    >>> v.name
    'housing_target=150,reach_factor=0.8'
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str | None = None, /, **params: Any) -> Variant:
        """A variant from keyword parameters; the name defaults to ``key=value,...``."""
        params = _jsonable(params)
        if name is None:
            name = ",".join(f"{k}={_label(v)}" for k, v in params.items()) or "base"
        return cls(name, params)

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., **params}`` (JSON-able)."""
        return {"name": self.name, **_jsonable(self.params)}

    def key(self) -> str:
        """A stable hash of the parameters (not the name)."""
        text = json.dumps(_jsonable(self.params), sort_keys=True, allow_nan=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ScenarioSet:
    """An ordered set of variants with unique names.

    Examples
    --------
    >>> s = ScenarioSet.grid(housing_target=[0, 100], receipt_retention=[0.5, 1.0])
    >>> len(s), s.variants[0].name
    (4, 'housing_target=0,receipt_retention=0.5')
    """

    variants: tuple[Variant, ...] = ()

    def __post_init__(self) -> None:
        names = [v.name for v in self.variants]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(Problem(SCENARIOS_FILE, f"duplicate scenario names: {dupes}."))

    def __len__(self) -> int:
        return len(self.variants)

    def __iter__(self) -> Iterator[Variant]:
        return iter(self.variants)

    def __add__(self, other: ScenarioSet) -> ScenarioSet:
        return ScenarioSet(self.variants + other.variants)

    @classmethod
    def grid(cls, base: Mapping[str, Any] | None = None, **axes: Iterable[Any]) -> ScenarioSet:
        """Every combination of the axes' values (plus fixed ``base`` parameters).

        More than :data:`MAX_GRID` combinations is an :class:`InputError` (nothing built).
        """
        keys = list(axes)
        values = [list(v) for v in axes.values()]
        problems = check_grid(dict(zip(keys, values, strict=True)), "grid")
        if problems:
            raise InputError(problems)
        variants = []
        for combo in itertools.product(*values):
            params = dict(zip(keys, combo, strict=True))
            variant = Variant.of(**params)
            variants.append(Variant(variant.name, {**_jsonable(base or {}), **variant.params}))
        return cls(tuple(variants))

    @classmethod
    def of(cls, variants: Iterable[Variant | Mapping[str, Any]]) -> ScenarioSet:
        """From variants or dicts ``{"name": ..., **params}`` (name optional)."""
        out = []
        for item in variants:
            if isinstance(item, Variant):
                out.append(item)
            else:
                params = dict(item)
                out.append(Variant.of(params.pop("name", None), **params))
        return cls(tuple(out))

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: name and parameters."""
        return pd.DataFrame([{"scenario": v.name, **v.params} for v in self.variants])


def check_grid(axes: Mapping[str, Any], where: str) -> list[Problem]:
    """A problem when the axes have more than :data:`MAX_GRID` combinations."""
    count = math.prod(len(v) if isinstance(v, list | tuple) else 1 for v in axes.values())
    if count <= MAX_GRID:
        return []
    sizes = " x ".join(str(len(v) if isinstance(v, list | tuple) else 1) for v in axes.values())
    return [
        Problem(
            where,
            f"the grid has {count:,} combinations ({sizes}); at most {MAX_GRID:,} are "
            "allowed: use fewer values per key or several smaller sweeps.",
        )
    ]


def check_params(params: Mapping[str, Any], services: Iterable[str], where: str) -> list[Problem]:
    """Problems with the keys of a variant (unknown keys name themselves)."""
    problems = []
    services = list(services)
    for key in params:
        if key in SCENARIO_FIELDS or key in _SOLVER_KEYS or key == "reach_factor":
            continue
        table, _, column = key.partition(".")
        if table == "reach" and column in services:
            continue
        if table in TABLES and column:
            continue
        hint = (
            f"expected a scenario field ({', '.join(SCENARIO_FIELDS[:4])}, ...), "
            f"reach_factor, reach.<service> ({', '.join(services)}) or "
            f"<table>.<column> with table one of {', '.join(TABLES)}"
        )
        problems.append(Problem(SCENARIOS_FILE, f"{where}: unknown key '{key}'; {hint}."))
    return problems


def read_scenario_set(path: str | Path, instance: Instance | None = None) -> ScenarioSet:
    """Read ``scenarios.toml``; ``include`` paths must stay inside the file's folder.

    With ``instance``, ``reach.<service>`` keys are checked against its services.
    """
    path = Path(path)
    root = path.parent.resolve()
    return _read(path, root, instance, seen=set())


def _read(path: Path, root: Path, instance: Instance | None, seen: set[Path]) -> ScenarioSet:
    name = path.name
    resolved = path.resolve()
    if resolved in seen:
        raise InputError(Problem(name, "include cycle: the file includes itself."))
    seen.add(resolved)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError as err:
        raise InputError(Problem(name, f"file not found in {path.parent}.")) from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(Problem(name, f"not valid UTF-8 TOML: {err}.")) from err
    problems: list[Problem] = []
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(
                Problem(name, f"unknown key '{key}'; expected one of {', '.join(_TOP_KEYS)}.")
            )
    services = list(instance.scenario.services) if instance is not None else None
    result = ScenarioSet()
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        problems.append(Problem(name, f"[grid] must be a table, got {grid!r}."))
        grid = {}
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            problems.append(
                Problem(name, f"[grid] {key}: expected a non-empty list, got {values!r}.")
            )
    problems += _check_keys(grid, services, "[grid]", name)
    problems += check_grid(grid, name)
    variants = data.get("variant", [])
    if not isinstance(variants, list):
        problems.append(Problem(name, "variant must be an array of tables [[variant]]."))
        variants = []
    for i, variant in enumerate(variants, start=1):
        params = {k: v for k, v in variant.items() if k != "name"}
        problems += _check_keys(params, services, f"[[variant]] {i}", name)
    if problems:
        raise InputError(problems)
    if grid:
        result = result + ScenarioSet.grid(**grid)
    result = result + ScenarioSet.of(variants)
    includes = data.get("include", [])
    for item in [includes] if isinstance(includes, str) else includes:
        target = (path.parent / str(item)).resolve()
        if not target.is_relative_to(root):
            raise InputError(
                Problem(name, f"include: expected a path inside {root}, got '{item}'.")
            )
        result = result + _read(target, root, instance, seen)
    return result


def _check_keys(
    params: Mapping[str, Any], services: list[str] | None, where: str, name: str
) -> list[Problem]:
    known = services if services is not None else [k.partition(".")[2] for k in params]
    return [dataclasses.replace(p, file=name) for p in check_params(params, known, where)]


# -- applying a variant -------------------------------------------------------------


def _factors(frame: pd.DataFrame, spec: Any, key: str, instance: Instance) -> pd.Series | float:
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return float(spec)
    if isinstance(spec, Mapping) and set(spec) == {"by", "factors"}:
        by, factors = str(spec["by"]), spec["factors"]
        if by in frame.columns:
            groups = frame[by].astype(str)
        elif "site_id" in frame.columns and by in instance.sites.columns:
            lookup = dict(
                zip(instance.sites["site_id"], instance.sites[by].astype(str), strict=True)
            )
            groups = frame["site_id"].map(lookup)
        else:
            raise InputError(Problem(SCENARIOS_FILE, f"{key}: no column '{by}' to group by."))
        return groups.map({str(k): float(v) for k, v in factors.items()}).fillna(1.0)
    raise InputError(
        Problem(
            SCENARIOS_FILE,
            f"{key}: expected a factor or {{by = COLUMN, factors = {{VALUE = factor}}}}, "
            f"got {spec!r}.",
        )
    )


def apply_variant(instance: Instance, params: Mapping[str, Any]) -> Instance:
    """The base instance with a variant's parameters applied and validated again.

    Keys ``fix_decisions`` and ``max_avg_distance_m`` are solver-side (custom rules, see
    :func:`estates_opt.scenarios.run.solve_variant`) and ignored here.

    Examples
    --------
    >>> # apply_variant(inst, {"housing_target": 150, "sites.market_value": 0.8})
    """
    problems = check_params(params, instance.scenario.services, "variant")
    if problems:
        raise InputError(problems)
    frames = {t: getattr(instance, t) for t in TABLES}
    changed = False
    changes: dict[str, Any] = {}
    services = dict(instance.scenario.services)
    for key, value in params.items():
        table, _, column = key.partition(".")
        if key in SCENARIO_FIELDS:
            if key in _LOCKS:
                value = tuple(value)
            elif key == "capital_budget" and isinstance(value, list):
                value = tuple(float(v) for v in value)
            elif key == "housing_by_borough":
                value = {str(k): float(v) for k, v in value.items()}
            changes[key] = value
        elif key == "reach_factor":
            services = {
                k: dataclasses.replace(s, max_distance_m=s.max_distance_m * float(value))
                for k, s in services.items()
            }
        elif table == "reach":
            services[column] = dataclasses.replace(services[column], max_distance_m=float(value))
        elif table in TABLES:
            frame = frames[table]
            if column not in frame.columns:
                raise InputError(
                    Problem(SCENARIOS_FILE, f"{key}: {table} has no column '{column}'.")
                )
            factor = _factors(frame, value, key, instance)
            frame = frame.copy()
            frame[column] = frame[column].astype(float) * factor
            frames[table] = frame
            changed = True
    if services != dict(instance.scenario.services):
        changes["services"] = {k: Service(**dataclasses.asdict(s)) for k, s in services.items()}
    out = instance
    if changed:
        out = Instance.from_frames(
            frames["sites"],
            frames["zones"],
            instance.scenario,
            frames["projects"],
            instance.travel,
            name=instance.name,
        )
    if changes:
        out = out.with_scenario(**changes)
    return out


def scenario_fingerprint(scenario: Scenario) -> str:
    """JSON text of a scenario (for hashing)."""

    def default(value: Any) -> Any:
        return str(value)

    data = scenario.to_dict()
    return json.dumps(data, sort_keys=True, default=default, allow_nan=True)


def is_number(value: Any) -> bool:
    """True for int/float (not bool) that is finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
