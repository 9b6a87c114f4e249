"""OR-Library capacitated warehouse location (Beasley's ``cap*`` files) as an instance.

The mapping (one period, so every published optimum is an NPV we can reproduce):

- T = 1; one service ``warehouse`` with ``space_per_1000 = 1000`` (so a zone's demand in
  m2 equals its population), ``travel_cost_per_person_km = 1`` and unlimited reach.
- Warehouse i is a disposable site with ``capacity_m2`` = its capacity and
  ``running_cost`` = its fixed cost (no backlog, market value or housing).
- Customer j is a zone with ``population`` = its demand.
- ``travel.csv`` lists every (customer, warehouse) pair with ``distance_m = 1000 c_ij / d_j``,
  so serving a share x of customer j from i costs ``1 * d_j * (distance_m / 1000) * x
  = c_ij x``, the cost of the OR-Library file.
- ``utilisation.max = 1``, ``min = 0``, a budget that never binds, marriage value 0.

The NPV of a plan is then the fixed cost of the closed (disposed) warehouses minus the
allocation cost, so the published optimum equals ``sum of fixed costs - optimal NPV``.

File format (Beasley 1988): ``m n``; m lines ``capacity fixed_cost``; then per customer
``demand`` followed by m allocation costs (the cost of serving ALL of its demand from
warehouse i). The files ``capa``/``capb``/``capc`` carry the literal word ``capacity``
instead of a number: pass the capacity to use (Beasley's Table 1 values).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from estates_opt.errors import InputError, Problem
from estates_opt.instance import Instance
from estates_opt.sources.cflp import SERVICE, cflp_instance

__all__ = ["SERVICE", "orlib_cap_instance", "read_orlib_cap"]


def read_orlib_cap(
    path: str | os.PathLike[str], capacity: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read an OR-Library ``cap*`` file.

    Parameters
    ----------
    path
        The file (e.g. ``cap41.txt``).
    capacity
        The capacity of every warehouse for files that say ``capacity`` instead of a
        number (``capa``, ``capb``, ``capc``); ignored by files that give numbers.

    Returns
    -------
    capacities, fixed_costs, demands, costs
        Arrays of shapes (m,), (m,), (n,) and (n, m); ``costs[j, i]`` is the cost of
        serving all of customer j's demand from warehouse i.

    Raises
    ------
    InputError
        The file is truncated, holds a non-number, or says ``capacity`` and no
        ``capacity`` was given.
    """
    path = Path(path)
    tokens = path.read_text(encoding="utf-8").split()
    file = path.name

    def number(position: int, what: str) -> float:
        if position >= len(tokens):
            raise InputError(Problem(file, f"{what}: expected a number, got the end of the file."))
        try:
            return float(tokens[position])
        except ValueError as err:
            raise InputError(
                Problem(file, f"{what}: expected a number, got {tokens[position]!r}.")
            ) from err

    m, n = int(number(0, "warehouse count")), int(number(1, "customer count"))
    pos = 2
    capacities = np.empty(m)
    fixed = np.empty(m)
    for i in range(m):
        if pos < len(tokens) and tokens[pos].lower() == "capacity":
            if capacity is None:
                raise InputError(
                    Problem(
                        file,
                        f"warehouse {i + 1}: expected a capacity, got the word 'capacity'; "
                        "pass capacity= (Beasley 1988 Table 1 gives the values).",
                    )
                )
            capacities[i] = float(capacity)
        else:
            capacities[i] = number(pos, f"warehouse {i + 1} capacity")
        fixed[i] = number(pos + 1, f"warehouse {i + 1} fixed cost")
        pos += 2
    demands = np.empty(n)
    costs = np.empty((n, m))
    for j in range(n):
        demands[j] = number(pos, f"customer {j + 1} demand")
        pos += 1
        for i in range(m):
            costs[j, i] = number(pos + i, f"customer {j + 1} cost to warehouse {i + 1}")
        pos += m
    return capacities, fixed, demands, costs


def orlib_cap_instance(path: str | os.PathLike[str], capacity: float | None = None) -> Instance:
    """The OR-Library file as a one-period :class:`~estates_opt.Instance` (mapping above).

    Examples
    --------
    >>> inst = orlib_cap_instance("cap41.txt")  # doctest: +SKIP
    >>> published = fixed.sum() - eo.solve(inst, mip_gap=1e-9).objective  # doctest: +SKIP
    """
    return cflp_instance(*read_orlib_cap(path, capacity), name=Path(path).stem, borough="orlib")
