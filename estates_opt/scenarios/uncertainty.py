"""Monte Carlo over market values, growth and costs; robust disposals; regret.

Distributions are given per column or per group of rows::

    {
        "market_value": {"dist": "normal", "mean": 1.0, "sd": 0.15, "by": "borough"},
        "projects.capex": {"dist": "triangular", "low": 0.9, "mode": 1.0, "high": 1.4},
        "growth_per_year": {"dist": "uniform", "low": 0.0, "high": 0.02},
    }

A key is a table column (``sites.market_value``; a bare column name is looked up in
sites, then projects, then zones) whose draw is a *factor* applied to the column
(clipped at 0), or a scenario field (``growth_per_year``, ``capital_budget``, ...)
whose draw is the *value*. ``by`` (columns only): ``"column"`` (default: one draw for
the whole column), ``"borough"`` (one per borough; projects use their site's borough)
or any other column, e.g. ``"site_id"`` (one per row). Distributions: ``normal``
(``mean``, ``sd``), ``lognormal`` (``median`` default 1, ``sigma``), ``uniform``
(``low``, ``high``), ``triangular`` (``low``, ``mode``, ``high``). Draws come from
``numpy.random.default_rng(seed)`` in a fixed order, so a seed gives the same samples.

For each sample the instance is re-optimised (how often each site is disposed; robust
disposals are those in at least ``robust_share`` of the samples with a plan), and the
base plan is evaluated with its disposals and project starts fixed to the same periods
(a custom rule), re-optimising only the assignment of demand. Regret = sample optimum -
base plan value (>= 0 up to the MIP gap); if the base plan is infeasible in a sample,
``base_feasible`` is false and the regret is empty.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance
from estates_opt.optimize.options import DEFAULT_MIP_GAP
from estates_opt.scenarios.run import PlanRecord, Progress, dask_client, run_scenarios
from estates_opt.scenarios.spec import SCENARIO_FIELDS, TABLES, Variant

__all__ = ["UncertaintyResult", "monte_carlo", "sample_variants"]

_DIST_KEYS = {
    "normal": ("mean", "sd"),
    "lognormal": ("sigma",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
}
_WHERE = "uncertainty"


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """``samples``: one row per sample (drawn parameters, status, objective, base plan
    value, ``base_feasible``, ``regret``); ``sites``: per site ``disposed_share``,
    ``base_decision``, ``robust``; ``base``: the base plan; ``robust_disposals``.
    """

    samples: pd.DataFrame
    sites: pd.DataFrame
    base: PlanRecord | None
    robust_share: float

    @property
    def robust_disposals(self) -> list[str]:
        """Sites disposed in at least ``robust_share`` of the samples with a plan."""
        return list(self.sites.loc[self.sites["robust"], "site_id"])


def _resolve(instance: Instance, key: str) -> tuple[str, str | None]:
    """('scenario', None) or (table, column) for a distribution key."""
    if key in SCENARIO_FIELDS:
        return "scenario", None
    table, _, column = key.partition(".")
    if table in TABLES and column and column in getattr(instance, table).columns:
        return table, column
    for table in ("sites", "projects", "zones"):
        if key in getattr(instance, table).columns:
            return table, key
    raise InputError(
        Problem(
            _WHERE,
            f"unknown key '{key}'; expected a column of sites, "
            "projects or zones, or a scenario field.",
        )
    )


def _draw(rng: np.random.Generator, spec: Mapping[str, Any], size: int, key: str) -> np.ndarray:
    dist = spec.get("dist", "normal")
    if dist not in _DIST_KEYS:
        raise InputError(
            Problem(
                _WHERE, f"{key}: unknown dist '{dist}'; expected one of {', '.join(_DIST_KEYS)}."
            )
        )
    known = {"dist", "by", "median", *_DIST_KEYS[dist]}
    unknown = sorted(set(spec) - known)
    missing = [k for k in _DIST_KEYS[dist] if k not in spec]
    if unknown or missing:
        raise InputError(
            Problem(
                _WHERE, f"{key}: unknown keys {unknown} / missing keys {missing} for dist '{dist}'."
            )
        )
    if dist == "normal":
        return rng.normal(spec["mean"], spec["sd"], size)
    if dist == "lognormal":
        return float(spec.get("median", 1.0)) * np.exp(rng.normal(0.0, spec["sigma"], size))
    if dist == "uniform":
        return rng.uniform(spec["low"], spec["high"], size)
    return rng.triangular(spec["low"], spec["mode"], spec["high"], size)


def _groups(instance: Instance, table: str, by: str) -> list[str]:
    frame = getattr(instance, table)
    if by in frame.columns:
        return sorted(frame[by].astype(str).unique())
    if "site_id" in frame.columns and by in instance.sites.columns:
        sites = instance.sites.set_index("site_id")[by].astype(str)
        return sorted(frame["site_id"].map(sites).unique())
    raise InputError(Problem(_WHERE, f"{table}: no column '{by}' to draw by."))


def sample_variants(
    instance: Instance,
    distributions: Mapping[str, Mapping[str, Any]],
    samples: int,
    seed: int = 0,
) -> list[Variant]:
    """The sampled variants ``sample_0001 ..``, drawn with ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    params: list[dict[str, Any]] = [{} for _ in range(samples)]
    for key, spec in distributions.items():
        table, column = _resolve(instance, key)
        by = spec.get("by", "column")
        if table == "scenario":
            if by != "column":
                raise InputError(
                    Problem(
                        _WHERE,
                        f"{key}: a scenario field has one value per sample; got by = '{by}'.",
                    )
                )
            values = _draw(rng, spec, samples, key)
            for i in range(samples):
                params[i][key] = float(values[i])
            continue
        name = f"{table}.{column}"
        if by == "column":
            values = np.clip(_draw(rng, spec, samples, key), 0.0, None)
            for i in range(samples):
                params[i][name] = float(values[i])
            continue
        groups = _groups(instance, table, by)
        values = np.clip(_draw(rng, spec, samples * len(groups), key), 0.0, None)
        values = values.reshape(samples, len(groups))
        for i in range(samples):
            params[i][name] = {
                "by": by,
                "factors": dict(zip(groups, map(float, values[i]), strict=True)),
            }
    width = len(str(samples))
    return [Variant(f"sample_{i + 1:0{width}d}", p) for i, p in enumerate(params)]


def _flat(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and "factors" in value:
            for group, factor in value["factors"].items():
                out[f"{key}[{group}]"] = factor
        else:
            out[key] = value
    return out


def _fixed(instance: Instance, base: PlanRecord) -> dict[str, dict[str, int]]:
    disposals, starts = base.disposals, base.starts
    disposable = instance.sites.loc[instance.sites["disposable"], "site_id"]
    return {
        "dispose": {str(s): int(disposals.get(s, 0)) for s in disposable},
        "start": {str(p): int(starts.get(p, 0)) for p in instance.projects["project_id"]},
    }


def monte_carlo(
    instance: Instance,
    distributions: Mapping[str, Mapping[str, Any]],
    *,
    samples: int = 50,
    seed: int = 0,
    robust_share: float = 0.9,
    regret: bool = True,
    client: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    cache_dir: str | Path | None = None,
    solver: str = "highs",
    mip_gap: float = DEFAULT_MIP_GAP,
    time_limit: float | None = None,
    threads: int | None = 1,
    progress: Progress | None = None,
) -> UncertaintyResult:
    """Re-optimise the instance in sampled futures and measure the base plan's regret.

    Parameters are those of :func:`~estates_opt.scenarios.run.run_scenarios`, plus the
    distributions (see the module docstring), the number of ``samples``, the ``seed``,
    the ``robust_share`` of samples a disposal must hold in, and whether to compute
    ``regret`` (one more solve per sample).

    Examples
    --------
    >>> # r = monte_carlo(inst, {"market_value": {"dist": "normal", "mean": 1, "sd": 0.15}})
    >>> # r.sites.sort_values("disposed_share"), r.samples["regret"].describe()
    """
    variants = sample_variants(instance, distributions, samples, seed)
    with dask_client(client, scheduler, n_workers) as dask:
        run = functools.partial(
            run_scenarios, instance, client=dask, solver=solver, mip_gap=mip_gap,
            time_limit=time_limit, threads=threads, cache_dir=cache_dir, progress=progress,
        )  # fmt: skip
        first = run([Variant("base", {}), *variants], plans=True)
        base = first.plans.get("base")
        table = first.table.set_index("scenario")
        rows = pd.DataFrame([{"sample": v.name, **_flat(v.params)} for v in variants])
        rows["status"] = [table.loc[v.name, "status"] for v in variants]
        rows["objective"] = [table.loc[v.name, "objective"] for v in variants]
        rows["error"] = [table.loc[v.name, "error"] for v in variants]
        rows["base_value"] = np.nan
        rows["base_feasible"] = pd.array([pd.NA] * len(rows), dtype="boolean")
        rows["regret"] = np.nan
        if regret and base is not None:
            fix = _fixed(instance, base)
            fixed = [
                Variant(f"{v.name}:base", {**v.params, "fix_decisions": fix}) for v in variants
            ]
            second = run(fixed)
            values = second.table.set_index("scenario")
            has_value = [values.loc[f.name, "status"] in ("optimal", "feasible") for f in fixed]
            rows["base_value"] = [
                values.loc[f.name, "objective"] if ok else np.nan
                for f, ok in zip(fixed, has_value, strict=True)
            ]
            rows["base_feasible"] = [
                ok if values.loc[f.name, "status"] != "error" else pd.NA
                for f, ok in zip(fixed, has_value, strict=True)
            ]
            rows["regret"] = rows["objective"].astype(float) - rows["base_value"].astype(float)
    solved = [first.plans[v.name] for v in variants if v.name in first.plans]
    sites = instance.sites[["site_id", "borough"]].copy().reset_index(drop=True)
    counts = pd.Series(0, index=sites["site_id"])
    for record in solved:
        counts[list(record.disposals)] += 1
    sites["disposed_share"] = (counts / len(solved)).to_numpy() if solved else np.nan
    base_disposals = base.disposals if base is not None else {}
    sites["base_decision"] = [
        "dispose" if s in base_disposals else "retain" for s in sites["site_id"]
    ]
    sites["robust"] = sites["disposed_share"] >= robust_share - 1e-12
    return UncertaintyResult(samples=rows, sites=sites, base=base, robust_share=robust_share)
