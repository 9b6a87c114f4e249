"""The four outcomes of a solve (MODEL.md section 6) and their CLI exit codes."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EXIT_BAD_INPUT", "Status"]

EXIT_BAD_INPUT = 2


class Status(StrEnum):
    """Outcome of a solve, as written to ``summary.json``.

    Examples
    --------
    >>> Status.OPTIMAL.exit_code, Status("no_solution").exit_code
    (0, 4)
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"

    @property
    def has_solution(self) -> bool:
        """True when the plan carries decisions (optimal or feasible)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def exit_code(self) -> int:
        """The exit code of ``estates-opt solve`` for this status."""
        return {"optimal": 0, "feasible": 0, "infeasible": 3, "no_solution": 4}[self.value]
