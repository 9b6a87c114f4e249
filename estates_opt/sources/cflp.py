"""Public capacitated facility location (CFLP) sets as one-period instances.

Two sets beside OR-Library's ``cap*`` files (:mod:`estates_opt.sources.orlib`), both in
``../shared/data/extra_cflp/`` (its ``SOURCE.md`` gives their origin and layout):

- **Holmberg** ``p1.txt`` ... ``p71.txt`` (Holmberg, Ronnqvist and Yuan 1999):
  ``m n``; m lines ``capacity fixed_cost``; n demands; then m x n costs, FACILITY-major
  (row i is ``c_i1 ... c_in``); ``c_ij`` is the cost of serving ALL of customer j's
  demand from facility i.
- **TBED1** ``i300_*.plc[.gz]``, ``i500_*`` (Avella, Boccia, Sforza and Vasil'ev 2009):
  ``n m`` (CUSTOMERS first); n demands; m capacities; m fixed costs; then m x n costs,
  facility-major; ``c_ij`` is a cost PER UNIT of demand, so serving a share x of
  customer j from i costs ``c_ij * d_j * x``.

Both readers return the arrays of :func:`~estates_opt.sources.orlib.read_orlib_cap`
(``costs[j, i]`` is the TOTAL cost of serving customer j from facility i), and
:func:`cflp_instance` maps them exactly as :func:`~estates_opt.sources.orlib.
orlib_cap_instance` maps OR-Library: one period, one service ``warehouse`` with
``space_per_1000 = 1000``, ``travel_cost_per_person_km = 1`` and unlimited reach, each
facility a disposable site whose running cost is its fixed cost, ``travel.csv`` with
``distance_m = 1000 c_ij / d_j``. The NPV of a plan is the fixed cost of the closed
facilities minus the allocation cost, so a published (multi-source) optimum equals
``sum of fixed costs - optimal NPV``. Holmberg's listed values are SINGLE-source optima,
so upper bounds on the multi-source optimum of this model.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance
from estates_opt.scenario import Scenario, Service

__all__ = [
    "SERVICE",
    "Cflp",
    "cflp_instance",
    "holmberg_instance",
    "read_holmberg",
    "read_tbed1",
    "tbed1_instance",
]

SERVICE = "warehouse"
_SITE_SPACING_M = 1000.0  # sites on a line, far beyond any marriage distance

Cflp = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``(capacities (m,), fixed_costs (m,), demands (n,), costs (n, m))``, costs TOTAL."""


def _numbers(path: Path) -> np.ndarray:
    """Every whitespace-separated token of a text file (``.gz`` unpacked) as a float."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            tokens = handle.read().split()
    except (OSError, EOFError) as err:
        raise InputError(Problem(path.name, f"cannot read the file: {err}.")) from err
    try:
        return np.array(tokens, dtype=float)
    except ValueError as err:
        raise InputError(Problem(path.name, f"expected only numbers: {err}.")) from err


def _sizes(values: np.ndarray, file: str, what: str) -> tuple[int, int]:
    """The two leading counts, checked against the number of tokens that follow."""
    if len(values) < 2:
        raise InputError(Problem(file, f"expected '{what}' on the first line."))
    a, b = int(values[0]), int(values[1])
    expected = 2 + _body(a, b, what)
    if a <= 0 or b <= 0 or len(values) != expected:
        raise InputError(
            Problem(file, f"{what} = {a} {b}: expected {expected} numbers, got {len(values)}.")
        )
    return a, b


def _body(a: int, b: int, what: str) -> int:
    """Numbers after the header: Holmberg ``m n`` -> 2m + n + mn; TBED1 ``n m`` -> n + 2m + mn."""
    return 2 * a + b + a * b if what == "m n" else a + 2 * b + a * b


def read_holmberg(path: str | os.PathLike[str]) -> Cflp:
    """Read a Holmberg ``p<k>`` file (layout in the module docstring).

    Returns
    -------
    capacities, fixed_costs, demands, costs
        Shapes (m,), (m,), (n,) and (n, m); ``costs[j, i]`` is the total cost of serving
        customer j from facility i.

    Raises
    ------
    InputError
        The file is unreadable, holds a non-number or has the wrong number of values.
    """
    path = Path(path)
    values = _numbers(path)
    m, n = _sizes(values, path.name, "m n")
    pairs = values[2 : 2 + 2 * m].reshape(m, 2)
    demands = values[2 + 2 * m : 2 + 2 * m + n]
    costs = values[2 + 2 * m + n :].reshape(m, n).T.copy()
    return pairs[:, 0].copy(), pairs[:, 1].copy(), demands.copy(), costs


def read_tbed1(path: str | os.PathLike[str]) -> Cflp:
    """Read a TBED1 ``.plc`` file, gzipped or not (layout in the module docstring).

    The file's per-unit costs are multiplied by the demands, so the returned
    ``costs[j, i] = c_ij * d_j`` is the total cost of serving customer j from i.

    Raises
    ------
    InputError
        The file is unreadable, holds a non-number or has the wrong number of values.
    """
    path = Path(path)
    values = _numbers(path)
    n, m = _sizes(values, path.name, "n m")
    demands = values[2 : 2 + n]
    capacities = values[2 + n : 2 + n + m]
    fixed = values[2 + n + m : 2 + n + 2 * m]
    per_unit = values[2 + n + 2 * m :].reshape(m, n).T
    return capacities.copy(), fixed.copy(), demands.copy(), per_unit * demands[:, None]


def cflp_instance(
    capacities: np.ndarray,
    fixed: np.ndarray,
    demands: np.ndarray,
    costs: np.ndarray,
    name: str = "cflp",
    *,
    borough: str = "cflp",
) -> Instance:
    """A CFLP as a one-period :class:`~estates_opt.Instance` (the module's mapping).

    Parameters
    ----------
    capacities, fixed, demands
        Facility capacities and fixed costs (m,), customer demands (n,).
    costs
        ``costs[j, i]``: the total cost of serving all of customer j from facility i.
    name
        The instance's name.
    borough
        The ``borough`` of every site and zone (the set's name).

    Examples
    --------
    >>> import numpy as np
    >>> inst = cflp_instance(np.array([5.0, 5.0]), np.array([3.0, 4.0]),
    ...                      np.array([2.0, 3.0, 1.0]), np.ones((3, 2)), "tiny")
    >>> len(inst.sites), len(inst.zones), len(inst.travel)
    (2, 3, 6)
    """
    m, n = len(capacities), len(demands)
    site_ids = [f"W{i + 1}" for i in range(m)]
    zone_ids = [f"C{j + 1}" for j in range(n)]
    sites = pd.DataFrame(
        {
            "site_id": site_ids,
            "borough": borough,
            "x": _SITE_SPACING_M * np.arange(m),
            "y": 0.0,
            "capacity_m2": capacities,
            "running_cost": fixed,
            "backlog_cost": 0.0,
            "market_value": 0.0,
            "housing_units": 0.0,
            "disposable": True,
            "earliest_disposal": 1,
            "services": SERVICE,
        }
    )
    zones = pd.DataFrame(
        {"zone_id": zone_ids, "borough": borough, "x": 0.0, "y": -_SITE_SPACING_M,
         "population": demands}
    )  # fmt: skip
    safe = np.where(demands > 0, demands, 1.0)
    distance = np.where(demands[:, None] > 0, 1000.0 * costs / safe[:, None], 0.0)
    travel = pd.DataFrame(
        {
            "zone_id": np.repeat(zone_ids, m),
            "site_id": np.tile(site_ids, n),
            "distance_m": distance.ravel(),
        }
    )
    scenario = Scenario(
        periods=1,
        period_years=1.0,
        discount_rate=0.0,
        utilisation_max=1.0,
        utilisation_min=0.0,
        capital_budget=max(1.0, float(fixed.sum())),
        marriage_value_uplift=0.0,
        marriage_housing_uplift=0.0,
        services={SERVICE: Service(1000.0, math.inf, 1.0)},
    )
    return Instance.from_frames(sites, zones, scenario, travel=travel, name=name)


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def holmberg_instance(path: str | os.PathLike[str]) -> Instance:
    """A Holmberg file as an instance (cost = sum of fixed costs - NPV)."""
    return cflp_instance(*read_holmberg(path), name=_stem(Path(path)))


def tbed1_instance(path: str | os.PathLike[str]) -> Instance:
    """A TBED1 ``.plc[.gz]`` file as an instance (cost = sum of fixed costs - NPV)."""
    return cflp_instance(*read_tbed1(path), name=_stem(Path(path)))
