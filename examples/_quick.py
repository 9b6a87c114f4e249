"""Quick mode of the examples (``--quick`` or ``ESTATES_OPT_QUICK=1``): a small cut for CI.

Not an example itself: the examples import :func:`quick_mode` and :func:`borough_subset`
so that CI can run each of them in seconds on one or two boroughs of the sample.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import estates_opt as eo

REPO = Path(__file__).resolve().parents[1]
QUICK_BOROUGHS = ["E09000007"]  # Camden
QUICK_TIME_LIMIT = 20.0


def quick_mode(flag: bool) -> bool:
    """True when ``--quick`` was given or ``ESTATES_OPT_QUICK`` is set to a true value."""
    return flag or os.environ.get("ESTATES_OPT_QUICK", "").lower() in ("1", "true", "yes")


def borough_subset(instance: eo.Instance, boroughs: list[str]) -> eo.Instance:
    """The part of an estate in ``boroughs``, small enough to solve in seconds.

    Targets are shared by population (:meth:`estates_opt.Instance.subset`) and then
    capped at half of what the part's own disposable sites could give, so a part whose
    population share exceeds its share of the disposable estate stays feasible; the
    capital budget is kept whole.
    """
    part = instance.subset(boroughs, share_budget=False)
    sc = part.scenario
    free = part.sites[part.sites["disposable"] & ~part.sites["site_id"].isin(sc.keep)]
    return part.with_scenario(
        receipts_target=min(sc.receipts_target, 0.5 * float(free["market_value"].sum())),
        housing_target=min(sc.housing_target, float(int(0.5 * free["housing_units"].sum()))),
    )


def example_instance(boroughs: list[str] = QUICK_BOROUGHS) -> eo.Instance:
    """The instance of an example: the folder in ``sys.argv[1]``, else the NCL sample;
    in quick mode only ``boroughs`` of it."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "data" / "ncl_pilot"
    instance = eo.read_instance(path)
    return borough_subset(instance, boroughs) if quick_mode(False) else instance
