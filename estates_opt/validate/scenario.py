"""The rules of ``scenario.toml`` (MODEL.md section 7): known tables and keys, TOML types,
ranges. :func:`parse_scenario` builds a :class:`~estates_opt.scenario.Scenario` from parsed
TOML tables; :func:`validate_scenario` lists what a scenario breaks."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from typing import Any

from estates_opt.errors import InputError, Problem
from estates_opt.scenario import (
    MAX_MAGNITUDE,
    MAX_PERIODS,
    SCENARIO_FILE,
    SCENARIO_KEYS,
    Scenario,
    Service,
)

__all__ = ["parse_scenario", "validate_scenario"]

_TABLES = sorted({table for table, _ in SCENARIO_KEYS} | {"services"})
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
        known = [key for t, key in SCENARIO_KEYS if t == table]
        for key, value in content.items():
            if key not in known:
                problems.append(
                    Problem(
                        SCENARIO_FILE, f"unknown key '{key}' in [{table}]{_suggest(key, known)}"
                    )
                )
                continue
            name = SCENARIO_KEYS[(table, key)]
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
