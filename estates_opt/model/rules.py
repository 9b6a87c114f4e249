"""Custom rules: linear constraints over the model's decisions that every backend honours.

A rule is a function that takes a :class:`Decisions` view of the model and yields
constraints written with ordinary arithmetic and comparisons::

    def at_most_two_a_year(v):
        for t in v.periods:
            yield v.total(v.dispose(s, t) for s in v.site_ids) <= 2

Rules become rows of the model arrays (family ``custom``), so HiGHS, PuLP and OR-Tools
all see the same constraints; a diagnosis reports their shortfall like any other rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from estates_opt.errors import EstatesOptError
from estates_opt.instance import Instance
from estates_opt.model.arrays import ModelArrays

__all__ = ["Constraint", "Decisions", "Expr", "Rule", "apply_rules"]


class Expr:
    """A linear expression ``sum coef * column + constant`` over model columns."""

    __slots__ = ("coefs", "constant")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, coefs: dict[int, float] | None = None, constant: float = 0.0) -> None:
        self.coefs = dict(coefs or {})
        self.constant = float(constant)

    @staticmethod
    def _of(other: Expr | float) -> Expr:
        return other if isinstance(other, Expr) else Expr(constant=float(other))

    def __add__(self, other: Expr | float) -> Expr:
        other = self._of(other)
        coefs = dict(self.coefs)
        for col, coef in other.coefs.items():
            coefs[col] = coefs.get(col, 0.0) + coef
        return Expr(coefs, self.constant + other.constant)

    __radd__ = __add__

    def __mul__(self, factor: float) -> Expr:
        return Expr({c: v * factor for c, v in self.coefs.items()}, self.constant * factor)

    __rmul__ = __mul__

    def __neg__(self) -> Expr:
        return self * -1.0

    def __sub__(self, other: Expr | float) -> Expr:
        return self + (-self._of(other))

    def __rsub__(self, other: Expr | float) -> Expr:
        return self._of(other) - self

    def __le__(self, other: Expr | float) -> Constraint:
        diff = self - other
        return Constraint(diff, -np.inf, 0.0)

    def __ge__(self, other: Expr | float) -> Constraint:
        diff = self - other
        return Constraint(diff, 0.0, np.inf)

    def __eq__(self, other: object) -> Constraint:  # type: ignore[override]
        diff = self - self._of(other)  # type: ignore[arg-type]
        return Constraint(diff, 0.0, 0.0)


@dataclass(frozen=True)
class Constraint:
    """``lower <= expr <= upper``; build one by comparing expressions."""

    expr: Expr
    lower: float
    upper: float
    name: str = ""

    def named(self, name: str) -> Constraint:
        """The same constraint with a name (shown in a diagnosis)."""
        return Constraint(self.expr, self.lower, self.upper, name)


class Decisions:
    """The model's decisions by site, project and period (1-based), as expressions."""

    def __init__(self, model: ModelArrays, instance: Instance) -> None:
        self.instance = instance
        self.periods = range(1, model.periods + 1)
        self.site_ids = list(instance.sites["site_id"])
        self.project_ids = list(instance.projects["project_id"])
        self._site = {s: i for i, s in enumerate(self.site_ids)}
        self._project = {p: i for i, p in enumerate(self.project_ids)}
        self._build_time = instance.projects["build_periods"].to_numpy()
        self._disposable = instance.sites["disposable"].to_numpy(dtype=bool)
        self._model = model
        self.model = model  # the arrays, for rules that need columns not covered below
        self._zone = {z: i for i, z in enumerate(instance.zones["zone_id"])}
        self.service_names = list(model.service_names)
        d, u = model.blocks["d"], model.blocks["u"]
        self._d = {
            (int(s), int(t) + 1): d.start + i
            for i, (s, t) in enumerate(zip(d.index["site"], d.index["period"], strict=True))
        }
        self._u = {
            (int(p), int(t) + 1): u.start + i
            for i, (p, t) in enumerate(zip(u.index["project"], u.index["period"], strict=True))
        }

    def _site_pos(self, site_id: str) -> int:
        if site_id not in self._site:
            raise EstatesOptError(f"custom rule names unknown site {site_id!r}")
        return self._site[site_id]

    def _project_pos(self, project_id: str) -> int:
        if project_id not in self._project:
            raise EstatesOptError(f"custom rule names unknown project {project_id!r}")
        return self._project[project_id]

    def dispose(self, site_id: str, period: int | None = None) -> Expr:
        """d[s, t]: 1 if the site is disposed at the start of ``period`` (any period if None)."""
        s = self._site_pos(site_id)
        periods = self.periods if period is None else [period]
        return Expr({self._d[s, t]: 1.0 for t in periods if (s, t) in self._d})

    def disposed_by(self, site_id: str, period: int) -> Expr:
        """1 if the site has been disposed in or before ``period``."""
        s = self._site_pos(site_id)
        return Expr({self._d[s, t]: 1.0 for t in self.periods if t <= period and (s, t) in self._d})

    def is_open(self, site_id: str, period: int) -> Expr:
        """open[s, t] = 1 - disposed_by(s, t)."""
        return 1.0 - self.disposed_by(site_id, period)

    def start(self, project_id: str, period: int | None = None) -> Expr:
        """u[p, t]: 1 if the project starts in ``period`` (any period if None)."""
        p = self._project_pos(project_id)
        periods = self.periods if period is None else [period]
        return Expr({self._u[p, t]: 1.0 for t in periods if (p, t) in self._u})

    def ready(self, project_id: str, period: int) -> Expr:
        """built[p, t]: 1 if the project is ready (open for services) in ``period``."""
        p = self._project_pos(project_id)
        last = period - int(self._build_time[p])
        return Expr({self._u[p, t]: 1.0 for t in self.periods if t <= last and (p, t) in self._u})

    def travel(self, zone_weights: dict[str, float], service: str, period: int) -> Expr:
        """``sum_z weight_z sum_s D[z, s] x[z, s, k, t]``: weighted distance travelled (m).

        With weights ``population / total population`` of a group of zones this is the
        group's population-weighted average distance to service ``k`` in ``period``.
        """
        if service not in self.service_names:
            raise EstatesOptError(f"custom rule names unknown service {service!r}")
        k = self.service_names.index(service)
        weight = np.zeros(len(self._zone))
        for zone_id, value in zone_weights.items():
            if zone_id not in self._zone:
                raise EstatesOptError(f"custom rule names unknown zone {zone_id!r}")
            weight[self._zone[zone_id]] = value
        x = self._model.blocks["x"]
        arcs = self._model.arcs
        arc = x.index["arc"]
        zone = arcs["zone"].to_numpy()[arc]
        keep = (
            (x.index["period"] == period - 1)
            & (arcs["service"].to_numpy()[arc] == k)
            & (weight[zone] != 0)
        )
        coef = weight[zone[keep]] * arcs["distance_m"].to_numpy()[arc[keep]]
        return Expr(
            dict(zip((x.start + np.flatnonzero(keep)).tolist(), coef.tolist(), strict=True))
        )

    @staticmethod
    def total(expressions: Iterable[Expr]) -> Expr:
        """The sum of expressions (``sum()`` works too, this is faster)."""
        out: dict[int, float] = {}
        constant = 0.0
        for expr in expressions:
            constant += expr.constant
            for col, coef in expr.coefs.items():
                out[col] = out.get(col, 0.0) + coef
        return Expr(out, constant)


Rule = Callable[[Decisions], Iterable[Constraint]]


def _constraints(rule: Rule, view: Decisions) -> Iterator[Constraint]:
    for item in rule(view):
        if not isinstance(item, Constraint):
            raise EstatesOptError(
                f"custom rule {getattr(rule, '__name__', rule)!r} yielded {item!r}; expected a "
                "constraint such as `expr <= 3`"
            )
        yield item


def apply_rules(model: ModelArrays, instance: Instance, rules: Iterable[Rule]) -> None:
    """Append every custom rule's constraints to the model as ``custom`` rows."""
    rules = list(rules)
    if not rules:
        return
    view = Decisions(model, instance)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    keys: list[int] = []
    for r, rule in enumerate(rules):
        model.rule_names.append(getattr(rule, "__name__", f"rule {r + 1}"))
        for con in _constraints(rule, view):
            row = len(lower)
            for col, coef in con.expr.coefs.items():
                rows.append(row)
                cols.append(col)
                vals.append(coef)
            lower.append(con.lower - con.expr.constant)
            upper.append(con.upper - con.expr.constant)
            keys.append(r)
    matrix = sp.csr_array((vals, (rows, cols)), shape=(len(lower), model.num_cols))
    key_array = np.full((len(lower), 3), -1, dtype=np.int64)
    key_array[:, 0] = keys
    model.add_rows(matrix, np.array(lower), np.array(upper), "custom", key_array)
