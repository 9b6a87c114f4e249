"""The policy of an instance: ``scenario.toml`` as a frozen dataclass.

Every key of MODEL.md section 1 maps to one flat field (``[housing] target`` is
``housing_target``): :data:`SCENARIO_KEYS` is that map, the single place that spells the
TOML layout. Missing keys take the MODEL.md defaults. Reading and writing the file is
:mod:`estates_opt.io.scenario_file`; the rules a scenario must meet (unknown keys,
ranges) are :mod:`estates_opt.validate.scenario`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_MAGNITUDE", "MAX_PERIODS", "SCENARIO_FILE", "SCENARIO_KEYS", "Scenario", "Service"]

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
        """A new scenario with some fields changed (checked by
        :meth:`~estates_opt.instance.Instance.with_scenario`, which is how a board changes
        the policy of an estate)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as nested TOML tables (what ``scenario.toml`` would hold)."""
        tables: dict[str, dict[str, Any]] = {}
        defaults = Scenario()
        for (table, key), name in SCENARIO_KEYS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if table == "equity" and value == getattr(defaults, name):
                continue  # an untouched [equity] table is not written
            if isinstance(value, tuple):
                value = list(value)
            if isinstance(value, Mapping):
                if not value:
                    continue  # an empty table is the default: not written
                value = dict(value)
            tables.setdefault(table, {})[key] = value
        tables["services"] = {
            name: dataclasses.asdict(service) for name, service in self.services.items()
        }
        return tables


SCENARIO_KEYS: dict[tuple[str, str], str] = {
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
"""(table, key) of ``scenario.toml`` -> :class:`Scenario` field."""
