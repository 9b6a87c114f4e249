"""Trade-off frontiers by the epsilon-constraint method.

``housing_frontier``: maximise NPV, then raise the housing target ``H`` step by step
above the homes of the last point (``with_scenario(housing_target=eps)``) until the
instance is infeasible. ``distance_frontier``: maximise NPV, then lower a cap on the
population-weighted average travel distance (in every period, a custom rule) step by
step until infeasible. Each point is re-solved to the given ``mip_gap`` (default 1e-6);
a point dominated by another (no better on either axis) is dropped, so the table is
monotone: along the housing frontier NPV falls as homes rise, along the distance
frontier NPV falls as the distance falls. Every point's plan is checked with
:func:`estates_opt.check` against the instance it solves (``check_ok``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estates_opt.check import check
from estates_opt.instance import Instance
from estates_opt.io.atomic import write_file
from estates_opt.model.build import build_model
from estates_opt.optimize.options import MEASURE_GAP
from estates_opt.scenarios.run import PlanRecord, cached_solve, instance_hash
from estates_opt.scenarios.spec import apply_variant

__all__ = ["Frontier", "distance_frontier", "housing_frontier", "plot_frontier"]

Progress = Callable[[int, Mapping[str, Any]], None]
_AXIS = {
    "housing": ("housing_units", "homes delivered"),
    "distance": ("avg_distance_m", "average travel distance (m, worst period)"),
}


@dataclass(frozen=True, eq=False)
class Frontier:
    """Points of an efficient frontier, best NPV first.

    ``table``: ``point``, ``epsilon``, ``status``, ``objective`` (NPV), ``housing_units``,
    ``avg_distance_m``, ``receipts``, ``sites_disposed``, ``disposed`` (site ids),
    ``check_ok``; ``plans``: one :class:`PlanRecord` per row; ``dropped``: dominated
    points removed; ``stopped``: why the search ended.
    """

    kind: str
    table: pd.DataFrame
    plans: list[PlanRecord] = field(default_factory=list)
    dropped: int = 0
    stopped: str = ""

    def is_monotone(self) -> bool:
        """NPV never rises as the trade-off metric improves."""
        column = _AXIS[self.kind][0]
        t = self.table
        if self.kind == "housing":
            t = t.sort_values(column)
        else:
            t = t.sort_values(column, ascending=False)
        return bool((np.diff(t["objective"].to_numpy()) <= 1e-6 * t["objective"].abs().max()).all())

    def plot(self, path: str | Path | None = None, *, ax: Any = None) -> Any:
        """Draw the frontier on ``ax`` (a notebook's axes; new ones when None) and return
        the axes, or with ``path`` write the chart (PNG or SVG by suffix) and return the path.
        """
        return plot_frontier(self, path, ax=ax)


def _point(
    i: int, eps: float | None, result: Mapping[str, Any], record: PlanRecord | None, ok: bool | None
) -> dict[str, Any]:
    row = result["row"]
    disposed = sorted(record.disposals) if record is not None else []
    return {
        "point": i,
        "epsilon": eps,
        "status": row["status"],
        "objective": row["objective"],
        "housing_units": row.get("housing_units"),
        "avg_distance_m": row.get("avg_distance_m"),
        "receipts": row.get("receipts"),
        "sites_disposed": row.get("sites_disposed"),
        "disposed": ";".join(disposed),
        "check_ok": ok,
    }


def _trace(
    instance: Instance,
    kind: str,
    first_step: Callable[[Mapping[str, Any]], float],
    next_params: Callable[[Mapping[str, Any], float], tuple[dict[str, Any], float]],
    *,
    max_points: int,
    min_step: float,
    options: Mapping[str, Any],
    cache_dir: str | Path | None,
    progress: Progress | None,
) -> Frontier:
    inst_hash = instance_hash(instance)
    points: list[dict[str, Any]] = []
    plans: list[PlanRecord] = []
    params: dict[str, Any] = {}
    eps: float | None = None
    step = 0.0
    stopped = f"reached max_points={max_points}"
    last: Mapping[str, Any] = {}
    for _ in range(max_points):
        result, _ = cached_solve(instance, params, options, cache_dir, inst_hash)
        row = result["row"]
        if result.get("tables") is None:
            if points and row["status"] == "infeasible" and step / 2 >= min_step:
                step /= 2  # overshot the end of the frontier: bisect towards it
                params, eps = next_params(last, step)
                continue
            stopped = f"epsilon {eps}: {row['status']} ({row.get('error', '')})"
            break
        i = len(points)
        last = row
        record = PlanRecord.from_tables(f"{kind} {i}", row, result["tables"])
        varied = apply_variant(
            instance, {k: v for k, v in params.items() if k != "max_avg_distance_m"}
        )
        ok = check(varied, record).ok
        points.append(_point(i, eps, result, record, ok))
        plans.append(record)
        if progress is not None:
            progress(i + 1, points[-1])
        if i == 0:
            step = first_step(row)
            if not step > 0:
                stopped = "the NPV-optimal plan is already at the end of the trade-off"
                break
        params, eps = next_params(row, step)
    table = pd.DataFrame(points)
    keep = _efficient(table, kind)
    return Frontier(
        kind,
        table[keep].reset_index(drop=True),
        [p for p, k in zip(plans, keep, strict=True) if k],
        dropped=int((~keep).sum()),
        stopped=stopped,
    )


def _efficient(table: pd.DataFrame, kind: str) -> np.ndarray:
    """Mask of points no other point dominates (NPV up, metric better)."""
    if table.empty:
        return np.zeros(0, dtype=bool)
    npv = table["objective"].to_numpy(dtype=float)
    metric = table[_AXIS[kind][0]].to_numpy(dtype=float)
    better = metric if kind == "housing" else -metric
    tol = 1e-9 * max(1.0, float(np.abs(npv).max()))
    keep = np.ones(len(table), dtype=bool)
    for i in range(len(table)):
        dominated = (
            (npv >= npv[i] - tol)
            & (better >= better[i])
            & ((npv > npv[i] + tol) | (better > better[i]))
        )
        keep[i] = not dominated.any()
    return keep


def _options(
    solver: str, mip_gap: float, time_limit: float | None, threads: int | None
) -> dict[str, Any]:
    return {"solver": solver, "mip_gap": mip_gap, "time_limit": time_limit, "threads": threads}


def housing_frontier(
    instance: Instance,
    *,
    points: int = 10,
    step: float | None = None,
    min_step: float = 1.0,
    max_points: int = 60,
    solver: str = "highs",
    mip_gap: float = MEASURE_GAP,
    time_limit: float | None = None,
    threads: int | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> Frontier:
    """NPV against homes delivered, by raising the housing target until infeasible.

    Parameters
    ----------
    instance : the base instance (its own housing target is the starting floor).
    points : with ``step`` None, the step is ``(upper - H0) / points`` where ``H0`` is the
        homes of the NPV-optimal plan and ``upper`` the homes if every disposable site
        were sold (with marriage uplift).
    step : homes added to the last point's homes for the next target.
    min_step : when a step overshoots (infeasible), it is halved and retried until it
        would fall below ``min_step`` homes, so the frontier reaches its end.
    max_points : stop after this many solves.

    Examples
    --------
    >>> # f = housing_frontier(inst, points=8); f.plot("frontier.png"); f.table
    """
    sites = instance.sites
    sc = instance.scenario
    upper = float(sites.loc[sites["disposable"], "housing_units"].sum()) * (
        1.0 + 2.0 * sc.marriage_housing_uplift
    )

    def first_step(row: Mapping[str, Any]) -> float:
        if step is not None:
            return float(step)
        return max((upper - float(row["housing_units"])) / max(points, 1), 1.0)

    def next_params(row: Mapping[str, Any], size: float) -> tuple[dict[str, Any], float]:
        eps = float(row["housing_units"]) + size
        return {"housing_target": eps}, eps

    return _trace(
        instance,
        "housing",
        first_step,
        next_params,
        min_step=min_step,
        max_points=max_points,
        options=_options(solver, mip_gap, time_limit, threads),
        cache_dir=cache_dir,
        progress=progress,
    )


def nearest_distance(instance: Instance) -> float:
    """Lower bound on the average distance: everyone served at the nearest reachable site."""
    model = build_model(instance)
    x = model.blocks["x"]
    arcs = model.arcs
    first = x.index["period"] == 0
    frame = pd.DataFrame(
        {
            "zone": arcs["zone"].to_numpy()[x.index["arc"][first]],
            "service": arcs["service"].to_numpy()[x.index["arc"][first]],
            "distance": arcs["distance_m"].to_numpy()[x.index["arc"][first]],
            "demand": x.index["demand"][first],
        }
    )
    nearest = frame.groupby(["zone", "service"]).agg(
        distance=("distance", "min"), demand=("demand", "first")
    )
    if nearest["demand"].sum() <= 0:
        return 0.0
    return float(np.average(nearest["distance"], weights=nearest["demand"]))


def distance_frontier(
    instance: Instance,
    *,
    points: int = 10,
    step_m: float | None = None,
    min_step_m: float = 1.0,
    max_points: int = 60,
    solver: str = "highs",
    mip_gap: float = MEASURE_GAP,
    time_limit: float | None = None,
    threads: int | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> Frontier:
    """NPV against average travel distance, by lowering a distance cap until infeasible.

    The cap binds the population-weighted average distance of every period; with
    ``step_m`` None the step is ``(D0 - Dmin) / points`` where ``D0`` is the NPV-optimal
    plan's distance and ``Dmin`` everyone at their nearest reachable site.
    """
    lower = nearest_distance(instance)

    def first_step(row: Mapping[str, Any]) -> float:
        if step_m is not None:
            return float(step_m)
        return (float(row["avg_distance_m"]) - lower) / max(points, 1)

    def next_params(row: Mapping[str, Any], size: float) -> tuple[dict[str, Any], float]:
        eps = float(row["avg_distance_m"]) - size
        return {"max_avg_distance_m": eps}, eps

    return _trace(
        instance,
        "distance",
        first_step,
        next_params,
        min_step=min_step_m,
        max_points=max_points,
        options=_options(solver, mip_gap, time_limit, threads),
        cache_dir=cache_dir,
        progress=progress,
    )


def plot_frontier(frontier: Frontier, path: str | Path | None, *, ax: Any = None) -> Any:
    """Draw NPV (GBP m) against the frontier's metric on ``ax`` or into the file ``path``.

    With ``path`` the figure has its own Agg canvas (the notebook's backend is left
    alone) and the path is returned; else the axes drawn on (pyplot's, when ``ax`` is None).
    """
    from matplotlib.figure import Figure

    column, label = _AXIS[frontier.kind]
    table = frontier.table.sort_values(column)
    if ax is None and path is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4.5))
    elif ax is None:
        ax = Figure(figsize=(7, 4.5)).add_subplot()
    ax.plot(table[column], table["objective"] / 1e6, marker="o", drawstyle="default")
    for _, row in table.iterrows():
        ax.annotate(
            str(row["point"]),
            (row[column], row["objective"] / 1e6),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
        )
    ax.set_xlabel(label)
    ax.set_ylabel("NPV (GBP m)")
    ax.set_title(f"Efficient frontier: NPV vs {label.split(' (')[0]}")
    ax.grid(alpha=0.3)
    if path is None:
        return ax
    buffer = io.BytesIO()
    kind = Path(path).suffix.lstrip(".").lower() or "png"
    ax.get_figure().savefig(buffer, format=kind, dpi=120, bbox_inches="tight")
    return write_file(path, buffer.getvalue())
