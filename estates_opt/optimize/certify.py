"""An ``optimal`` label earned in pounds, not in the solver's own units.

A solver proves its gap on the model it was given: money rescaled, rows presolved,
within its own absolute tolerances. A board acts on pounds. After every solve the
plan's NPV is recomputed from its decisions by the independent checker
(:func:`estates_opt.check.check`, MODEL.md section 5 term by term) and the solver's
bound, already converted back to pounds, is compared with it:

- the plan must pass every constraint of the checker, or it is no plan at all;
- a bound below the recomputed NPV (beyond round-off) proves nothing: the plan is at
  most ``feasible`` and the bound is dropped;
- ``optimal`` stands only when ``(bound - NPV) / max(1, |NPV|)`` meets the requested
  gap (plus :data:`ROUND_OFF`); otherwise it becomes ``feasible`` and the message says
  by how much the gap was missed.

The rule is written down in ``docs/decisions.md`` ("An optimal label is earned in
pounds").
"""

from __future__ import annotations

import dataclasses
import logging

from estates_opt.check import check
from estates_opt.instance import Instance
from estates_opt.plan import Plan
from estates_opt.status import Status

__all__ = ["ROUND_OFF", "BrokenPlan", "earned"]

log = logging.getLogger(__name__)

ROUND_OFF = 1e-6
"""Relative slack for sums recomputed in double precision: the checker's own tolerance.
On a GBP 100m estate it is GBP 100, far below any gap a board asks for."""


@dataclasses.dataclass(frozen=True)
class BrokenPlan:
    """The checker found the solver's plan breaks MODEL.md: it must not be reported."""

    message: str


def earned(instance: Instance, plan: Plan, mip_gap: float) -> Plan | BrokenPlan:
    """The plan with its objective, bound, gap and status re-earned in pounds.

    Parameters
    ----------
    instance
        The :class:`~estates_opt.Instance` the plan solves.
    plan
        A plan with decisions (status ``optimal`` or ``feasible``).
    mip_gap
        The relative gap the caller asked for.

    Returns
    -------
    Plan or BrokenPlan
        The plan, downgraded where its label was not earned; a :class:`BrokenPlan`
        when the independent check finds a broken constraint.
    """
    report = check(instance, plan)
    if not report.ok:
        first = "; ".join(str(v) for v in report.violations[:3])
        return BrokenPlan(
            f"{plan.solver}'s plan fails the independent check "
            f"({len(report.violations)} violations: {first}); it is not reported"
        )
    npv = report.npv
    slack = ROUND_OFF * max(1.0, abs(npv))
    status, bound, notes = plan.status, plan.best_bound, []
    if bound is not None and bound < npv - slack:
        notes.append(
            f"the solver's bound {bound:,.2f} GBP lies below the plan's NPV {npv:,.2f} GBP "
            "recomputed in pounds, so it proves nothing"
        )
        status, bound = Status.FEASIBLE, None
    elif bound is not None:
        bound = max(bound, npv)
    gap = None if bound is None else (bound - npv) / max(1.0, abs(npv))
    if status is Status.OPTIMAL and (gap is None or gap > mip_gap + ROUND_OFF):
        shown = "unknown" if gap is None else f"{gap:.3g}"
        notes.append(f"in pounds the gap is {shown}, above the requested {mip_gap:g}")
        status = Status.FEASIBLE
    message = plan.message
    if notes:
        log.warning("%s: reported as %s, not optimal: %s", plan.solver, status, "; ".join(notes))
        message = "; ".join([m for m in (message, *notes) if m])
    return dataclasses.replace(
        plan, status=status, objective=npv, best_bound=bound, mip_gap=gap, message=message
    )
