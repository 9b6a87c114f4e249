"""Plans shared between searches running side by side (thread-safe).

:func:`estates_opt.optimize.solve` runs HiGHS on the whole model while
:func:`~estates_opt.optimize.heuristics.neighbourhood.neighbourhood_search` explores LP
neighbourhoods in a second thread (HiGHS's branch and bound keeps one core busy; a laptop
has two or more). Each offers the plans it finds here and HiGHS takes the other's plans through its
user-solution callback (see ``found``/``incoming``/``stop`` in
:class:`~estates_opt.backends.base.SolveOptions`).
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from estates_opt.backends.base import PlanSink, PlanSource, SolverResult
from estates_opt.model.arrays import ModelArrays
from estates_opt.optimize.verify import TOLERANCE, worst_violation
from estates_opt.status import Status

__all__ = ["PlanExchange"]

_IMPROVABLE = (Status.OPTIMAL, Status.FEASIBLE, Status.NO_SOLUTION)


class PlanExchange:
    """The best plan any of several concurrent searches has found (thread-safe).

    Each search holds a :meth:`port`: its ``found`` offers a solution vector (kept when
    it is a plan of the model, rounded, and beats the best so far), its ``incoming``
    hands over each better plan another search found, once. ``stop`` tells every
    search to finish.
    """

    def __init__(self, model: ModelArrays) -> None:
        self.model = model
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._best: np.ndarray | None = None
        self._value = -np.inf
        self._version = 0

    def offer(self, values: np.ndarray) -> int | None:
        """Keep ``values`` if it is a better plan; its version, or None when refused."""
        plan = np.array(values, dtype=float)
        if len(plan) != self.model.num_cols:
            return None
        plan[self.model.integer] = np.round(plan[self.model.integer])
        value = self.model.objective(plan)
        if value <= self._value or worst_violation(self.model, plan)[0] > TOLERANCE:
            return None
        with self._lock:
            if value <= self._value:
                return None
            self._best, self._value = plan, value
            self._version += 1
            return self._version

    def best(self) -> tuple[np.ndarray, float] | None:
        """The best plan so far and its objective (None before any)."""
        with self._lock:
            return None if self._best is None else (self._best.copy(), self._value)

    def port(self) -> tuple[PlanSink, PlanSource]:
        """``(found, incoming)`` for one search (see :class:`SolveOptions`)."""
        seen = [0]

        def found(values: np.ndarray) -> None:
            version = self.offer(values)
            if version is not None:
                seen[0] = max(seen[0], version)

        def incoming() -> np.ndarray | None:
            with self._lock:
                if self._version <= seen[0] or self._best is None:
                    return None
                seen[0] = self._version
                return self._best.copy()

        return found, incoming

    def improve(self, result: SolverResult) -> SolverResult:
        """``result`` with the exchange's plan in place of its own when that is better
        (one found after the solver last looked); the solver's bound is kept."""
        best = self.best()
        own = None if result.solution is None else self.model.objective(result.solution)
        if best is None or result.status not in _IMPROVABLE:
            return result
        if own is not None and best[1] <= own:
            return result
        status = Status.FEASIBLE if result.status is Status.NO_SOLUTION else result.status
        return dataclasses.replace(result, status=status, solution=best[0], objective=best[1])
