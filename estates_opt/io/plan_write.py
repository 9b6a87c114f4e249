"""Write a plan as the MODEL.md section 6 files, completely or not at all."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from estates_opt.io.output_guard import atomic_folder

if TYPE_CHECKING:
    from estates_opt.plan import Plan

__all__ = ["write_plan"]

_PROJECT_COLUMNS = ["project_id", "site_id", "start_period", "ready_period", "capex"]
_ASSIGNMENT_COLUMNS = ["zone_id", "site_id", "service", "period", "share"]
_PAIR_COLUMNS = ["site_a", "site_b", "period", "value_uplift", "housing_uplift"]


def _json_ready(value: Any) -> Any:
    """NaN and infinities become null; numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


def _csv(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    table = frame.reindex(columns=columns) if len(frame.columns) else pd.DataFrame(columns=columns)
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", float_format=None)


def write_plan(plan: Plan, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``summary.json``, ``site_decisions.csv``, ``project_decisions.csv``,
    ``assignments.csv`` and ``marriage_pairs.csv`` (plus ``cash_flow.csv``,
    ``disposal_reasons.csv``, ``plan.gpkg`` with layers ``sites`` and ``zones`` for
    GIS and the report, and, when infeasible, ``shortfalls.csv``) into ``path``.

    The folder is built beside ``path`` and renamed into place, so it is never
    half-written; it carries the output marker (:mod:`estates_opt.io.output_guard`). An
    existing non-empty folder is replaced only with ``overwrite=True`` and only when it
    holds nothing but a previous plan (else :class:`~estates_opt.io.atomic.OutputError`).
    """
    with atomic_folder(path, kind="plan", overwrite=overwrite) as tmp:
        summary = json.dumps(_json_ready(plan.summary()), indent=2, allow_nan=False)
        (tmp / "summary.json").write_text(summary + "\n", encoding="utf-8")
        utilisation = [f"utilisation_p{t}" for t in range(1, plan.periods + 1)]
        site_columns = ["site_id", "decision", "dispose_period", "receipt", "housing_units"]
        sites = plan.sites if plan.status.has_solution else pd.DataFrame()
        _csv(sites, site_columns + utilisation, tmp / "site_decisions.csv")
        _csv(plan.projects, _PROJECT_COLUMNS, tmp / "project_decisions.csv")
        _csv(plan.assignments, _ASSIGNMENT_COLUMNS, tmp / "assignments.csv")
        _csv(plan.marriage_pairs, _PAIR_COLUMNS, tmp / "marriage_pairs.csv")
        if plan.status.has_solution:
            _csv(plan.cash_flow, list(plan.cash_flow.columns), tmp / "cash_flow.csv")
            reasons = plan.disposals[["site_id", "dispose_period", "reason"]]
            _csv(reasons, list(reasons.columns), tmp / "disposal_reasons.csv")
            layers = {"sites": plan.sites, "zones": plan.zones}
            for layer, frame in layers.items():
                if frame is not None and len(frame):
                    frame.to_file(tmp / "plan.gpkg", layer=layer, driver="GPKG")
        if plan.shortfalls is not None:
            _csv(plan.shortfalls, list(plan.shortfalls.columns), tmp / "shortfalls.csv")
    return Path(path)
