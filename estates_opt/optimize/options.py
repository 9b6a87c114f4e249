"""Every gap and time share of the solve stage, decided in one place.

:func:`~estates_opt.optimize.solve` builds one :class:`~estates_opt.backends.base.SolveOptions`
from the caller's arguments; each sub-step gets its share from the functions here, never
by re-deciding a gap or a time limit of its own:

- :func:`less_time` takes the seconds a step spent off the limit (the build, the
  strengthening, the warm start);
- :func:`share` gives a sub-step a fraction of what is left (the warm start a quarter, the
  Lagrangian phase nine tenths, the separation a tenth);
- :func:`with_gap` gives a sub-step its own gap: half the requested gap to each of two
  steps whose gaps add up (the Lagrangian fixings and the restricted solve),
  :data:`MEASURE_GAP` where the answer is a measurement (infeasibility shortfalls),
  :data:`PART_GAP` and :data:`LOCAL_GAP` for heuristic steps whose plans are only starts.

Examples
--------
>>> from estates_opt.backends.base import SolveOptions
>>> options = SolveOptions(mip_gap=1e-4, time_limit=100.0)
>>> share(options, 0.25).time_limit, less_time(options, 30.0).time_limit
(25.0, 70.0)
>>> with_gap(options, half=True).mip_gap
5e-05
"""

from __future__ import annotations

import dataclasses

from estates_opt.backends.base import SolveOptions

__all__ = [
    "DEFAULT_MIP_GAP",
    "LOCAL_GAP",
    "MEASURE_GAP",
    "PART_GAP",
    "less_time",
    "share",
    "with_gap",
]

DEFAULT_MIP_GAP = 1e-4
"""The relative gap a solve stops at unless told (0.01 %: GBP 170k on London's GBP 1.7bn)."""

MEASURE_GAP = 1e-6
"""Gap of solves whose objective is a measurement, not only a plan: infeasibility
shortfalls, and the points of a frontier or a governance comparison, whose NPVs a board
compares with each other (at 1e-4 two points could differ by noise alone)."""

PART_GAP = 1e-3
"""Smallest gap of a solve whose plan is only a start: a borough solved alone for a warm
start, the MIP over the binaries the LP left undecided."""

LOCAL_GAP = 1e-4
"""Gap at which a step of the neighbourhood search ends, whatever the solve's own gap (a
step looks for improvements of about 0.1 %; a 1 % solve gap would end it at once)."""


def less_time(options: SolveOptions, spent: float) -> SolveOptions:
    """The options with ``spent`` seconds taken off the time limit (at least one second
    is left to a positive limit; a zero limit stays zero)."""
    if options.time_limit is None:
        return options
    left = max(min(1.0, options.time_limit), options.time_limit - spent)
    return dataclasses.replace(options, time_limit=left)


def share(options: SolveOptions, fraction: float, *, default: float | None = None) -> SolveOptions:
    """The options for a sub-step given ``fraction`` of the time limit (``default``
    seconds when the solve has none)."""
    limit = default if options.time_limit is None else fraction * options.time_limit
    return dataclasses.replace(options, time_limit=limit)


def with_gap(
    options: SolveOptions, gap: float | None = None, *, half: bool = False, at_least: float = 0.0
) -> SolveOptions:
    """The options for a sub-step with its own gap: ``gap``, or half the requested gap
    (two steps whose gaps add up to it), never below ``at_least``."""
    chosen = options.mip_gap / 2 if half else options.mip_gap if gap is None else gap
    return dataclasses.replace(options, mip_gap=max(chosen, at_least))
