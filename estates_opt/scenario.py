"""The policy of an instance: ``scenario.toml`` as a frozen dataclass.

Every key of MODEL.md section 1 maps to one flat field (``[housing] target`` is
``housing_target``). Unknown keys and tables are errors that name the key, so a
typo never passes silently. Missing keys take the MODEL.md defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estates_opt.errors import InputError, Problem

__all__ = [
    "MAX_MAGNITUDE",
    "SCENARIO_FILE",
    "Scenario",
    "Service",
    "read_scenario",
    "scenario_to_toml",
]

SCENARIO_FILE = "scenario.toml"
MAX_PERIODS = 200  # a planning horizon beyond this is a typo, not a plan
MAX_MAGNITUDE = 1e15
"""Largest magnitude of money, areas, populations, distances, targets and rates.

Beyond a thousand trillion pounds a value is a typo or a stand-in for "no limit"; no
money scale keeps it and a one-pound running cost both above a solver's tolerances, so
it is an input error (``docs/decisions.md``). Capital budgets and reaches, which users
write as "no limit" (``1e15``, ``9e99``, ``inf``), are not capped: a budget that cannot
bind is treated as unlimited by :mod:`estates_opt.optimize.scaling`."""


@dataclass(frozen=True)
class Service:
    """One service k: space standard sigma_k, reach R_k and travel cost tau_k."""

    space_per_1000: float
    max_distance_m: float
    travel_cost_per_person_km: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """Policy, targets, services and horizon of one instance (MODEL.md section 1).

    Examples
    --------
    >>> s = Scenario(periods=3, capital_budget=1e6)
    >>> s.budgets
    (1000000.0, 1000000.0, 1000000.0)
    >>> s.floor_period, s.discount_factors[1].__round__(4)
    (3, 0.9662)
    """

    periods: int = 5
    period_years: float = 1.0
    discount_rate: float = 0.035
    growth_per_year: float = 0.0
    utilisation_max: float = 0.90
    utilisation_min: float = 0.0
    floor_from_period: int | None = None
    capital_budget: float | tuple[float, ...] = 5e6
    receipt_retention: float = 1.0
    receipts_target: float = 0.0
    housing_target: float = 0.0
    housing_by_borough: Mapping[str, float] = field(default_factory=dict)
    marriage_distance_m: float = 50.0
    marriage_value_uplift: float = 0.10
    marriage_housing_uplift: float = 0.0
    services: Mapping[str, Service] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    dispose: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    # [equity] fairness caps (docs/equity.md); None switches a cap off
    equity_deprived_deciles: tuple[int, ...] = (1, 2)
    equity_deprived_max_increase_m: float | None = None
    equity_borough_max_increase_m: float | None = None
    equity_services: tuple[str, ...] = ()
    equity_every_period: bool = False

    @property
    def floor_period(self) -> int:
        """t_f: the first period in which the utilisation floor binds."""
        return self.periods if self.floor_from_period is None else self.floor_from_period

    @property
    def budgets(self) -> tuple[float, ...]:
        """B_t for t = 1..T."""
        if isinstance(self.capital_budget, tuple | list):
            return tuple(float(b) for b in self.capital_budget)
        return (float(self.capital_budget),) * self.periods

    @property
    def discount_factors(self) -> tuple[float, ...]:
        """delta_t = (1 + r) ** (-(t - 1) * L) for t = 1..T."""
        return tuple(
            (1.0 + self.discount_rate) ** (-(t * self.period_years)) for t in range(self.periods)
        )

    @property
    def growth_factors(self) -> tuple[float, ...]:
        """(1 + g) ** ((t - 1) * L) for t = 1..T."""
        return tuple(
            (1.0 + self.growth_per_year) ** (t * self.period_years) for t in range(self.periods)
        )

    @property
    def equity_on(self) -> bool:
        """True when the ``[equity]`` table switches on at least one fairness cap."""
        return (
            self.equity_deprived_max_increase_m is not None
            or self.equity_borough_max_increase_m is not None
        )

    def replace(self, **changes: Any) -> Scenario:
        """A new validated scenario with some fields changed."""
        new = dataclasses.replace(self, **changes)
        problems = validate_scenario(new)
        if problems:
            raise InputError(problems)
        return new

    def to_dict(self) -> dict[str, Any]:
        """The scenario as nested TOML tables (what ``scenario.toml`` would hold)."""
        tables: dict[str, dict[str, Any]] = {}
        defaults = Scenario()
        for (table, key), name in _KEY_TO_FIELD.items():
            value = getattr(self, name)
            if value is None:
                continue
            if table == "equity" and value == getattr(defaults, name):
                continue  # an untouched [equity] table is not written
            if isinstance(value, tuple):
                value = list(value)
            if isinstance(value, Mapping):
                value = dict(value)
            tables.setdefault(table, {})[key] = value
        tables["services"] = {
            name: dataclasses.asdict(service) for name, service in self.services.items()
        }
        return tables


# (table, key) -> Scenario field; the single place that spells the TOML layout.
_KEY_TO_FIELD: dict[tuple[str, str], str] = {
    ("horizon", "periods"): "periods",
    ("horizon", "period_years"): "period_years",
    ("horizon", "discount_rate"): "discount_rate",
    ("demand", "growth_per_year"): "growth_per_year",
    ("utilisation", "max"): "utilisation_max",
    ("utilisation", "min"): "utilisation_min",
    ("utilisation", "floor_from_period"): "floor_from_period",
    ("finance", "capital_budget"): "capital_budget",
    ("finance", "receipt_retention"): "receipt_retention",
    ("finance", "receipts_target"): "receipts_target",
    ("housing", "target"): "housing_target",
    ("housing", "by_borough"): "housing_by_borough",
    ("marriage", "distance_m"): "marriage_distance_m",
    ("marriage", "value_uplift"): "marriage_value_uplift",
    ("marriage", "housing_uplift"): "marriage_housing_uplift",
    ("locks", "keep"): "keep",
    ("locks", "dispose"): "dispose",
    ("locks", "build"): "build",
    ("locks", "forbid"): "forbid",
    ("equity", "deprived_deciles"): "equity_deprived_deciles",
    ("equity", "deprived_max_increase_m"): "equity_deprived_max_increase_m",
    ("equity", "borough_max_increase_m"): "equity_borough_max_increase_m",
    ("equity", "services"): "equity_services",
    ("equity", "every_period"): "equity_every_period",
}
_TABLES = sorted({table for table, _ in _KEY_TO_FIELD} | {"services"})
_SERVICE_KEYS = [f.name for f in dataclasses.fields(Service)]
_INT_FIELDS = {"periods", "floor_from_period"}
_LIST_FIELDS = {"keep", "dispose", "build", "forbid", "equity_services"}


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; expected one of {', '.join(known)}."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce(name: str, value: Any, where: str, problems: list[Problem]) -> Any:
    """Check the TOML type of one value and convert it to the field's type."""

    def bad(expected: str) -> None:
        problems.append(Problem(SCENARIO_FILE, f"{where}: expected {expected}, got {value!r}."))

    if name in _INT_FIELDS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return bad("an integer")
    if name == "equity_deprived_deciles":
        if isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return tuple(value)
        return bad("a list of integer deciles (1 = most deprived)")
    if name == "equity_every_period":
        if isinstance(value, bool):
            return value
        return bad("true or false")
    if name in _LIST_FIELDS:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return bad("a list of ids (strings)")
    if name == "capital_budget":
        if _is_number(value):
            return float(value)
        if isinstance(value, list) and all(_is_number(v) for v in value):
            return tuple(float(v) for v in value)
        return bad("a number or a list of numbers, one per period")
    if name == "housing_by_borough":
        if isinstance(value, dict) and all(_is_number(v) for v in value.values()):
            return {str(k): float(v) for k, v in value.items()}
        return bad("a table {borough = units}")
    if _is_number(value):
        return float(value)
    return bad("a number")


def parse_scenario(data: Mapping[str, Any]) -> Scenario:
    """Build a validated :class:`Scenario` from parsed TOML tables."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    services: dict[str, Service] = {}
    for table, content in data.items():
        if table not in _TABLES:
            problems.append(
                Problem(SCENARIO_FILE, f"unknown table [{table}]{_suggest(table, _TABLES)}")
            )
            continue
        if not isinstance(content, dict):
            problems.append(Problem(SCENARIO_FILE, f"[{table}] must be a table, got {content!r}."))
            continue
        if table == "services":
            for service, spec in content.items():
                parsed = _parse_service(service, spec, problems)
                if parsed is not None:
                    services[service] = parsed
            continue
        known = [key for t, key in _KEY_TO_FIELD if t == table]
        for key, value in content.items():
            if key not in known:
                problems.append(
                    Problem(
                        SCENARIO_FILE, f"unknown key '{key}' in [{table}]{_suggest(key, known)}"
                    )
                )
                continue
            name = _KEY_TO_FIELD[(table, key)]
            coerced = _coerce(name, value, f"[{table}] {key}", problems)
            if coerced is not None:
                values[name] = coerced
    if problems:
        raise InputError(problems)
    scenario = Scenario(services=services, **values)
    problems = validate_scenario(scenario)
    if problems:
        raise InputError(problems)
    return scenario


def _parse_service(service: str, spec: Any, problems: list[Problem]) -> Service | None:
    where = f"[services.{service}]"
    if not isinstance(spec, dict):
        problems.append(Problem(SCENARIO_FILE, f"{where} must be a table, got {spec!r}."))
        return None
    ok = True
    for key, value in spec.items():
        if key not in _SERVICE_KEYS:
            problems.append(
                Problem(
                    SCENARIO_FILE,
                    f"unknown key '{key}' in {where}{_suggest(key, _SERVICE_KEYS)}",
                )
            )
            ok = False
        elif not _is_number(value):
            problems.append(
                Problem(SCENARIO_FILE, f"{where} {key}: expected a number, got {value!r}.")
            )
            ok = False
    for key in ("space_per_1000", "max_distance_m"):
        if key not in spec:
            problems.append(Problem(SCENARIO_FILE, f"{where}: missing key '{key}' (a number)."))
            ok = False
    if not ok:
        return None
    return Service(**{k: float(v) for k, v in spec.items()})


def validate_scenario(s: Scenario) -> list[Problem]:
    """Every scenario rule of MODEL.md section 7; returns the problems found."""
    problems: list[Problem] = []

    def check(ok: bool, where: str, expected: str, got: Any) -> None:
        if not ok:
            problems.append(Problem(SCENARIO_FILE, f"{where}: expected {expected}, got {got!r}."))

    def finite(value: float) -> bool:
        return math.isfinite(value)

    def amount(value: float, where: str) -> None:
        """A target or rate: finite, >= 0 and at most MAX_MAGNITUDE."""
        expected = "a finite number >= 0"
        if finite(value) and value > MAX_MAGNITUDE:
            expected = f"a number >= 0 of magnitude at most {MAX_MAGNITUDE:g}"
        check(finite(value) and 0 <= value <= MAX_MAGNITUDE, where, expected, value)

    check(1 <= s.periods <= MAX_PERIODS, "[horizon] periods",
          f"an integer in [1, {MAX_PERIODS}]", s.periods)  # fmt: skip
    check(
        finite(s.period_years) and s.period_years > 0,
        "[horizon] period_years",
        "a number > 0",
        s.period_years,
    )
    check(
        finite(s.discount_rate) and s.discount_rate > -1,
        "[horizon] discount_rate",
        "a number > -1",
        s.discount_rate,
    )
    check(
        finite(s.growth_per_year) and s.growth_per_year > -1,
        "[demand] growth_per_year",
        "a number > -1",
        s.growth_per_year,
    )
    check(
        finite(s.utilisation_max) and 0 < s.utilisation_max <= 1,
        "[utilisation] max",
        "a number in (0, 1]",
        s.utilisation_max,
    )
    check(
        finite(s.utilisation_min) and 0 <= s.utilisation_min <= s.utilisation_max,
        "[utilisation] min",
        f"a number in [0, max = {s.utilisation_max}]",
        s.utilisation_min,
    )
    if s.floor_from_period is not None:
        check(
            1 <= s.floor_from_period <= s.periods,
            "[utilisation] floor_from_period",
            f"an integer in [1, periods = {s.periods}]",
            s.floor_from_period,
        )
    if isinstance(s.capital_budget, tuple | list):
        check(
            len(s.capital_budget) == s.periods,
            "[finance] capital_budget",
            f"a list of exactly periods = {s.periods} numbers",
            f"{len(s.capital_budget)} numbers",
        )
    check(
        all(finite(b) and b >= 0 for b in s.budgets) if s.periods >= 1 else True,
        "[finance] capital_budget",
        "finite numbers >= 0",
        s.capital_budget,
    )
    check(
        finite(s.receipt_retention) and 0 <= s.receipt_retention <= 1,
        "[finance] receipt_retention",
        "a number in [0, 1]",
        s.receipt_retention,
    )
    amount(s.receipts_target, "[finance] receipts_target")
    amount(s.housing_target, "[housing] target")
    for borough, units in s.housing_by_borough.items():
        amount(units, f"[housing] by_borough {borough}")
    check(
        finite(s.marriage_distance_m) and s.marriage_distance_m >= 0,
        "[marriage] distance_m",
        "a finite number >= 0",
        s.marriage_distance_m,
    )
    check(
        finite(s.marriage_value_uplift) and s.marriage_value_uplift >= 0,
        "[marriage] value_uplift",
        "a finite number >= 0",
        s.marriage_value_uplift,
    )
    check(
        finite(s.marriage_housing_uplift) and s.marriage_housing_uplift >= 0,
        "[marriage] housing_uplift",
        "a finite number >= 0",
        s.marriage_housing_uplift,
    )
    check(
        all(1 <= d <= 10 for d in s.equity_deprived_deciles),
        "[equity] deprived_deciles",
        "integers in 1..10",
        list(s.equity_deprived_deciles),
    )
    for key in ("deprived_max_increase_m", "borough_max_increase_m"):
        cap = getattr(s, f"equity_{key}")
        if cap is not None:
            check(finite(cap) and cap >= 0, f"[equity] {key}", "a finite number >= 0 (m)", cap)
    unknown = [k for k in s.equity_services if k not in s.services]
    check(not unknown, "[equity] services", "names defined under [services]", unknown)
    for name, svc in s.services.items():
        where = f"[services.{name}]"
        amount(svc.space_per_1000, f"{where} space_per_1000")
        check(
            svc.max_distance_m > 0 and not math.isnan(svc.max_distance_m),
            f"{where} max_distance_m",
            "a number > 0 (inf for unlimited reach)",
            svc.max_distance_m,
        )
        amount(svc.travel_cost_per_person_km, f"{where} travel_cost_per_person_km")
    return problems


def read_scenario(path: str | Path) -> Scenario:
    """Read and validate ``scenario.toml``."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(Problem(SCENARIO_FILE, f"file not found in {path.parent}.")) from err
    except UnicodeDecodeError as err:
        raise InputError(
            Problem(SCENARIO_FILE, f"expected UTF-8 text, found a byte that is not ({err.reason}).")
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(Problem(SCENARIO_FILE, f"not valid TOML: {err}.")) from err
    return parse_scenario(data)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} to TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as ``scenario.toml`` text; reading it back gives an equal scenario."""
    lines: list[str] = []
    for table, content in scenario.to_dict().items():
        if table == "services":
            continue
        lines.append(f"[{table}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in content.items()]
        lines.append("")
    for name, service in scenario.services.items():
        lines.append(f"[services.{_toml_key(name)}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in dataclasses.asdict(service).items()]
        lines.append("")
    return "\n".join(lines)
