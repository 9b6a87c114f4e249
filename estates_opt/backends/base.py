"""What every solver adapter takes and returns, and the registry that finds them.

Adapters are imported lazily, only when chosen: OR-Tools and highspy ship their own
HiGHS builds, and importing a backend nobody asked for only costs time and risk.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from estates_opt.errors import SolverNotAvailableError
from estates_opt.model.arrays import ModelArrays
from estates_opt.status import Status

__all__ = [
    "SOLVERS",
    "Backend",
    "Capabilities",
    "SolveOptions",
    "SolverResult",
    "StopSignal",
    "available_solvers",
    "get_backend",
]


ProgressCallback = Callable[[float | None, float | None, float | None], None]
PlanSource = Callable[[], np.ndarray | None]
PlanSink = Callable[[np.ndarray], None]


class StopSignal(Protocol):
    """Tells a running solve to stop (a ``threading.Event`` is one)."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend honours.

    ``mip_gap`` is relative (1e-4 = 0.01 %); ``time_limit`` in seconds (None = none);
    ``threads`` None lets the solver choose; ``log`` echoes the solver's own log;
    ``node_limit`` stops the branch and bound after that many nodes: unlike a time
    limit it stops at the same point on a fast machine and a slow one (tests and
    benchmarks use it), and a run it stops is ``feasible`` or ``no_solution``;
    ``progress`` (where the backend supports it) is called with the incumbent
    objective, best bound and relative gap as the solver improves them.

    For a search running beside the solve (HiGHS only; other backends ignore them):
    ``found`` is called with each improving solution vector, ``incoming`` is polled
    during the search and a vector it returns is offered to the solver as a plan, and
    setting ``stop`` ends the solve as a time limit would.
    """

    mip_gap: float = 1e-4
    time_limit: float | None = None
    threads: int | None = None
    node_limit: int | None = None
    log: bool = False
    seed: int = 0
    progress: ProgressCallback | None = field(default=None, compare=False, repr=False)
    found: PlanSink | None = field(default=None, compare=False, repr=False)
    incoming: PlanSource | None = field(default=None, compare=False, repr=False)
    stop: StopSignal | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SolverResult:
    """What a backend reports back: status, solution vector and proof of quality."""

    status: Status
    solution: np.ndarray | None
    objective: float | None
    bound: float | None
    solver: str
    solve_seconds: float
    message: str = ""

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0 when proven optimal)."""
        if self.objective is None or self.bound is None:
            return None
        return abs(self.bound - self.objective) / max(1.0, abs(self.objective))


@dataclass(frozen=True)
class Capabilities:
    """What a backend does beyond solving, declared once on its class.

    ``mip_start``: uses a start vector; ``progress``: calls ``SolveOptions.progress``
    as it improves; ``trades_plans``: honours ``found``, ``incoming`` and ``stop``
    while it runs (a search beside it can trade plans); ``proves_bound``: reports a
    valid best bound when stopped early; ``node_limit``: honours
    ``SolveOptions.node_limit``. The solve stage asks these, never a backend's name.
    """

    mip_start: bool = False
    progress: bool = False
    trades_plans: bool = False
    proves_bound: bool = True
    node_limit: bool = True


class Backend(Protocol):
    """A solver adapter: solves a :class:`ModelArrays` maximisation MILP."""

    name: str
    capabilities: Capabilities

    def solve(
        self, model: ModelArrays, options: SolveOptions, start: np.ndarray | None = None
    ) -> SolverResult:
        """Solve; ``start`` is an optional feasible solution vector (MIP start)."""
        ...


# name -> (module, class, python package that must be importable, description)
SOLVERS: dict[str, tuple[str, str, str, str]] = {
    "highs": (
        "estates_opt.backends.highs",
        "HighsBackend",
        "highspy",
        "HiGHS through highspy, fed from arrays (default)",
    ),
    "pulp-cbc": ("estates_opt.backends.cbc", "PulpCbcBackend", "pulp", "CBC bundled with PuLP"),
    "pulp-highs": ("estates_opt.backends.pulp", "PulpHighsBackend", "pulp", "HiGHS through PuLP"),
    "ortools-scip": (
        "estates_opt.backends.ortools",
        "OrtoolsScipBackend",
        "ortools",
        "SCIP through OR-Tools model_builder",
    ),
    "ortools-highs": (
        "estates_opt.backends.ortools",
        "OrtoolsHighsBackend",
        "ortools",
        "HiGHS through OR-Tools model_builder",
    ),
}
ALIASES = {"cbc": "pulp-cbc", "pulp": "pulp-cbc", "scip": "ortools-scip"}


def available_solvers() -> list[str]:
    """Names of the solvers whose Python packages are installed."""
    return [
        name
        for name, (_, _, package, _) in SOLVERS.items()
        if importlib.util.find_spec(package) is not None
    ]


def get_backend(name: str) -> Backend:
    """The adapter for a solver name; a clear error lists the available ones."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in SOLVERS:
        raise SolverNotAvailableError(
            f"unknown solver {name!r}; available: {', '.join(available_solvers())}."
        )
    module_name, class_name, package, _ = SOLVERS[key]
    if importlib.util.find_spec(package) is None:
        raise SolverNotAvailableError(
            f"solver {name!r} needs the Python package {package!r}, which is not installed; "
            f"available: {', '.join(available_solvers()) or 'none'}."
        )
    module = importlib.import_module(module_name)
    backend: Backend = getattr(module, class_name)()
    return backend
