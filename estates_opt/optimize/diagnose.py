"""Why an instance is infeasible: an elastic re-solve that measures each shortfall.

Every requirement row (coverage, capacity, utilisation floor, service availability,
cash, receipts and housing targets, locks) that some plan could break gets a
non-negative slack column measured as a share of its requirement (the slack's entry in
the row is the size of the requirement), and the elastic model minimises their sum: a
shortfall of 5 homes on a 100-home target weighs like 5 % of cover, and every slack
stays a moderate number whatever the money. The slacks left at the optimum, times the
size of their requirement, say how far each requirement is from being met.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.sparse as sp

from estates_opt.backends.base import Backend, SolveOptions
from estates_opt.instance import Instance
from estates_opt.model.arrays import FAMILY_CODE, ROW_FAMILIES, ModelArrays
from estates_opt.optimize.options import MEASURE_GAP, with_gap
from estates_opt.optimize.run import run_backend
from estates_opt.optimize.scaling import activity_range

__all__ = ["diagnose"]

_UNITS = {
    "once_site": "disposal (locks.dispose)",
    "once_project": "project (locks.build)",
    "coverage": "share of demand out of reach or unserved",
    "capacity": "m2 over capacity",
    "utilisation_floor": "m2 below the utilisation floor",
    "availability": "m2 of a service where it is not offered",
    "cash": "GBP",
    "receipts_target": "GBP",
    "housing_target": "homes",
    "housing_borough": "homes",
    "custom": "custom rule units",
}
_ELASTIC = tuple(family for family in ROW_FAMILIES if family in _UNITS)
_TOLERANCE = 1e-6


def _elastic(model: ModelArrays) -> tuple[ModelArrays, np.ndarray, np.ndarray]:
    """The model plus one slack per requirement row; returns it, the rows and the size
    of each row's requirement (a slack of 1 is a shortfall of that size)."""
    elastic = np.isin(model.row_family, [FAMILY_CODE[f] for f in _ELASTIC])
    rows = np.flatnonzero(elastic)
    # a bound no plan can reach (a budget of 1e15 meaning "no limit") needs no slack, and
    # its weight of 1e-15 would fall below every tolerance of the solver
    low, high = activity_range(model, rows)
    can_bind = (np.isfinite(model.row_lower[rows]) & (model.row_lower[rows] > low)) | (
        np.isfinite(model.row_upper[rows]) & (model.row_upper[rows] < high)
    )
    rows = rows[can_bind]
    # a row with a finite lower bound is helped by +slack, an upper-bound row by -slack
    sign = np.where(np.isfinite(model.row_lower[rows]), 1.0, -1.0)
    bound = np.where(sign > 0, model.row_lower[rows], model.row_upper[rows])
    size = np.maximum(1.0, np.abs(bound))
    entries = (sign * size, (rows, np.arange(len(rows))))
    slack = sp.csr_array(entries, shape=(model.num_rows, len(rows)))
    bigger = dataclasses.replace(
        model,
        cost=np.concatenate([np.zeros(model.num_cols), -np.ones(len(rows))]),
        lower=np.concatenate([model.lower, np.zeros(len(rows))]),
        upper=np.concatenate([model.upper, np.full(len(rows), np.inf)]),
        integer=np.concatenate([model.integer, np.zeros(len(rows), dtype=bool)]),
        matrix=sp.hstack([model.matrix, slack], format="csr"),
        objective_offset=0.0,
    )
    return bigger, rows, size


def diagnose(
    instance: Instance, model: ModelArrays, backend: Backend, options: SolveOptions
) -> pd.DataFrame:
    """Shortfalls of an infeasible instance, one row per requirement that cannot be met.

    Columns: ``requirement``, ``period``, ``site_id``, ``zone_id``, ``service``,
    ``borough``, ``short_by`` and ``unit``.
    """
    elastic, rows, size = _elastic(model)
    result = run_backend(backend, elastic, with_gap(options, MEASURE_GAP), None)
    columns = [
        "requirement",
        "period",
        "site_id",
        "zone_id",
        "service",
        "borough",
        "short_by",
        "unit",
    ]
    if result.solution is None:
        return pd.DataFrame(
            [
                {
                    "requirement": "elastic model",
                    "short_by": None,
                    "unit": f"the diagnosis itself found no solution: {result.message}",
                }
            ],
            columns=columns,
        )
    share = result.solution[model.num_cols :]
    short = np.flatnonzero(share > _TOLERANCE)
    slack = share * size
    site_ids = instance.sites["site_id"].to_numpy()
    zone_ids = instance.zones["zone_id"].to_numpy()
    project_ids = instance.projects["project_id"].to_numpy()
    records = []
    for i in short:
        row = rows[i]
        family = ROW_FAMILIES[model.row_family[row]]
        k1, k2, k3 = model.row_keys[row]
        record: dict[str, object] = {
            "requirement": family,
            "short_by": float(slack[i]),
            "unit": _UNITS[family],
        }
        if family == "coverage":
            record |= {
                "zone_id": zone_ids[k1],
                "service": model.service_names[k2],
                "period": int(k3) + 1,
            }
        elif family in ("capacity", "utilisation_floor"):
            record |= {"site_id": site_ids[k1], "period": int(k2) + 1}
        elif family == "availability":
            record |= {
                "site_id": site_ids[k1],
                "service": model.service_names[k2],
                "period": int(k3) + 1,
            }
        elif family == "cash":
            record |= {"period": int(k1) + 1}
        elif family == "housing_borough":
            record |= {"borough": model.boroughs[k1]}
        elif family == "once_site":
            record |= {"site_id": site_ids[k1]}
        elif family == "once_project":
            record |= {"site_id": project_ids[k1], "requirement": "build_lock"}
        records.append(record)
    table = pd.DataFrame(records, columns=columns)
    return table.sort_values(
        ["requirement", "period", "site_id", "zone_id", "service"],
        na_position="first",
        ignore_index=True,
    )
