"""Strong arc links only where the LP needs them: a cutting-plane loop on the relaxation.

Every strong link ``x[z, s, k, t] <= avail[s, k, t]`` (see
:func:`~estates_opt.optimize.strengthen.arc_links`) would take London's LP bound from
£1.84bn to £1.81bn, but its 53,000 rows make the LP 30 times slower and HiGHS's root
far slower still. This loop solves the LP relaxation with HiGHS's dual simplex, adds
the links the LP solution violates, re-solves from the last basis and repeats: on
London about 2,600 links reach the same bound in about 12 s.
The rows are valid at every plan, so any backend may be handed them (they join the
``implied`` family, like the zone cover rows).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp

from estates_opt.backends.engine import Engine
from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.scaling import scaled
from estates_opt.optimize.strengthen import arc_links

__all__ = ["MAX_ROUNDS", "separated_links"]

log = logging.getLogger(__name__)

MAX_ROUNDS = 12
"""At most this many LP solves."""

VIOLATION = 1e-4
"""A link is added when the LP solution breaks it by more than this share of the demand."""

STALL = 1e-4
"""The loop stops once a round improves the LP bound by less than this (relative)."""


def separated_links(
    model: ModelArrays, *, seconds: float
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Rows ``(matrix, lower, upper)``: the strong links the LP relaxation needed.

    Runs for at most ``seconds`` (an LP stopped by that limit ends the loop with the
    links found so far); returns no rows when the LP has no optimum.
    """
    began = time.perf_counter()
    links, lower, upper = arc_links(model)
    candidates = np.diff(links.indptr) > 1  # a link with no binary is a column bound
    added = np.zeros(links.shape[0], dtype=bool)
    solver_model, _ = scaled(model)  # links hold no money: the same rows either way
    engine = Engine(solver_model.relaxation())
    bound, rounds = None, 0
    while candidates.any() and rounds < MAX_ROUNDS:
        left = seconds - (time.perf_counter() - began)
        if left <= 0:
            break
        run = engine.solve(left)
        rounds += 1
        if run.status != "optimal" or run.values is None or run.objective is None:
            break
        value = run.objective
        if bound is not None and bound - value <= STALL * max(1.0, abs(bound)):
            break
        bound = value
        solution = run.values
        new = np.flatnonzero(candidates & ~added & (links @ solution - upper > VIOLATION))
        if len(new) == 0:
            break
        added[new] = True
        engine.add_rows(links[new].tocsr(), lower[new], upper[new])
    keep = np.flatnonzero(added)
    log.info(
        "separation: %d strong links in %d LP rounds, %.1f s",
        len(keep), rounds, time.perf_counter() - began,
    )  # fmt: skip
    return sp.csr_array(links[keep]), lower[keep], upper[keep]
