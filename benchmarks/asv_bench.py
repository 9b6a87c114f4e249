"""airspeed velocity classes: ``asv run --python=same`` from the repository root.

asv times ``time_*`` methods, measures ``peakmem_*`` and records ``track_*`` values;
``setup`` reads and validates the case first so only the phase itself is measured.
Cases whose data is not on the machine are skipped (``NotImplementedError``, asv's
convention). ``time_solve`` calls ``estates_opt.optimize.solve`` (build included, a small
part), so MIP starts and cuts added inside ``solve`` show up here.
"""

from __future__ import annotations

from typing import Any, ClassVar

import estates_opt as eo
from benchmarks.cases import get_case
from estates_opt.backends.highs import to_highs_lp
from estates_opt.model.build import build_model

__all__ = ["BuildSuite", "PulpBuildSuite", "SolveSuite"]

_BUILD_CASES = ["syn_250x100x4x5", "syn_1250x500x4x5", "syn_2500x1000x4x5", "ncl_pilot", "london"]
_SOLVE_CASES = ["syn_40x16x2x2", "p01", "ncl_pilot", "capa_8000", "london"]


def _instance(name: str) -> eo.Instance:
    case = get_case(name)
    if not case.available():
        raise NotImplementedError(f"{name}: data not on this machine")
    return case.read().validate()


class BuildSuite:
    """Model build and hand-off to HiGHS: numpy/scipy arrays, no object per variable."""

    params: ClassVar[list[Any]] = [_BUILD_CASES]
    param_names: ClassVar[list[str]] = ["case"]
    timeout = 300.0

    def setup(self, name: str) -> None:
        self.instance = _instance(name)
        self.model = build_model(self.instance)

    def time_build(self, name: str) -> None:
        build_model(self.instance)

    def peakmem_build(self, name: str) -> None:
        build_model(self.instance)

    def time_handoff(self, name: str) -> None:
        to_highs_lp(self.model)

    def track_nonzeros(self, name: str) -> int:
        return int(self.model.matrix.nnz)


class PulpBuildSuite:
    """The straightforward PuLP build of the same model (the issue-5 baseline)."""

    params: ClassVar[list[Any]] = [["syn_250x100x4x5", "ncl_pilot", "london"]]
    param_names: ClassVar[list[str]] = ["case"]
    timeout = 600.0

    def setup(self, name: str) -> None:
        self.instance = _instance(name)

    def time_build(self, name: str) -> None:
        from benchmarks.baseline_pulp import build_pulp

        build_pulp(self.instance)

    def peakmem_build(self, name: str) -> None:
        from benchmarks.baseline_pulp import build_pulp

        build_pulp(self.instance)


class SolveSuite:
    """``estates_opt.optimize.solve`` to the case's gap and time limit; gap and NPV tracked."""

    params: ClassVar[list[Any]] = [_SOLVE_CASES]
    param_names: ClassVar[list[str]] = ["case"]
    timeout = 420.0
    number = 1
    repeat = 1

    def setup(self, name: str) -> None:
        self.case = get_case(name)
        self.instance = _instance(name)

    def _solve(self) -> eo.Plan:
        return eo.solve(self.instance, mip_gap=self.case.mip_gap, time_limit=self.case.time_limit)

    def time_solve(self, name: str) -> None:
        self._solve()

    def peakmem_solve(self, name: str) -> None:
        self._solve()

    def track_gap(self, name: str) -> float:
        plan = self._solve()
        return float("nan") if plan.mip_gap is None else float(plan.mip_gap)

    track_gap.unit = "relative gap"  # type: ignore[attr-defined]
