"""Lagrangian relaxation of coverage: bounds, plans, fixings and a branch and bound.

:mod:`~estates_opt.optimize.lagrangian.relaxation` splits the model (site knapsacks, a binary
master, an LP that completes plans); :mod:`~estates_opt.optimize.lagrangian.search` runs the
subgradient ascent, probing and the branch and bound. Used by
:mod:`estates_opt.optimize.decomposition`; see docs/decisions.md ("Solving").
"""

from estates_opt.optimize.lagrangian.search import LagrangianResult, lagrangian_bound

__all__ = ["LagrangianResult", "lagrangian_bound"]
