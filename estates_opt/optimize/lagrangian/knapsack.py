"""Fractional knapsacks with nested capacities, all solved at once with numpy.

Each item i has a profit, a weight > 0, an inner group (an availability row: site,
service, period) and an outer group (a capacity row: site, period); every inner group
lies inside one outer group. The problem, for every outer group independently::

    maximise sum profit_i v_i   s.t.  0 <= v_i <= 1,
             sum_{i in g} weight_i v_i <= inner_cap[g]    for each inner group g,
             sum_{i in o} weight_i v_i <= outer_cap[o]    for each outer group o.

The capacities form a laminar family, so the greedy rule is optimal: take items by
profit per unit of weight, best first, as far as every capacity allows. Filling each
inner group first and then the outer groups with what the inner fill kept gives the
same order, in two sorts.
"""

from __future__ import annotations

import numpy as np

__all__ = ["nested_knapsack"]


def _fill(order: np.ndarray, group: np.ndarray, weight: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share of each item taken when groups are filled in ``order`` up to ``cap``."""
    w = weight[order]
    g = group[order]
    cum = np.cumsum(w)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    before = np.repeat(cum[starts] - w[starts], np.diff(np.r_[starts, len(g)]))
    used = cum - w - before  # weight taken in the group before this item
    share = np.zeros(len(weight))
    with np.errstate(divide="ignore", invalid="ignore"):
        share[order] = np.clip(np.where(w > 0, (cap[g] - used) / w, 0.0), 0.0, 1.0)
    return share


def nested_knapsack(
    profit: np.ndarray,
    weight: np.ndarray,
    inner: np.ndarray,
    inner_cap: np.ndarray,
    outer: np.ndarray,
    outer_cap: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal shares ``v`` and the optimal value of every outer group.

    ``inner[i]`` and ``outer[i]`` are the item's group positions; capacities are >= 0.
    """
    shares = np.zeros(len(profit))
    values = np.zeros(len(outer_cap))
    good = np.flatnonzero(profit > 0)
    if len(good) == 0:
        return shares, values
    ratio = profit[good] / weight[good]
    # an inner group that could hold its whole outer group never binds: skip that pass
    binding = inner_cap[inner[good]] < outer_cap[outer[good]]
    first = np.ones(len(good))
    if binding.any():
        some = np.flatnonzero(binding)
        order = np.lexsort((-ratio[some], inner[good][some]))
        first[some] = _fill(order, inner[good][some], weight[good][some], inner_cap)
    kept = weight[good] * first
    order = np.lexsort((-ratio, outer[good]))
    second = _fill(order, outer[good], kept, outer_cap)
    shares[good] = first * second
    np.add.at(values, outer[good], profit[good] * shares[good])
    return shares, values
