"""Solver adapters behind one small protocol; each is imported only when chosen."""

from estates_opt.backends.base import (
    SOLVERS,
    Backend,
    SolveOptions,
    SolverResult,
    available_solvers,
    get_backend,
)

__all__ = ["SOLVERS", "Backend", "SolveOptions", "SolverResult", "available_solvers", "get_backend"]
