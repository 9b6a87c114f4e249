"""The solve stage: instance -> model -> solver -> certified plan.

:func:`solve` is its face. Inside, one module owns each job:

- :mod:`~estates_opt.optimize.solve` decides the options once and orders the steps;
- :mod:`~estates_opt.optimize.run` is the only caller of ``Backend.solve``: it scales
  money (:mod:`~estates_opt.optimize.scaling`), runs the backend and re-checks the
  solution (:mod:`~estates_opt.optimize.verify`);
- :mod:`~estates_opt.optimize.extract` turns a solution into a :class:`~estates_opt.Plan`
  and :mod:`~estates_opt.optimize.certify` earns its ``optimal`` label in pounds;
- :mod:`~estates_opt.optimize.strengthen` and :mod:`~estates_opt.optimize.separation`
  add rows only the solver sees; :mod:`~estates_opt.optimize.diagnose` measures how
  far an infeasible instance is from feasible; :mod:`~estates_opt.optimize.alternatives`
  finds near-optimal alternatives;
- :mod:`~estates_opt.optimize.heuristics` (warm start, neighbourhood search, plan
  exchange) and :mod:`~estates_opt.optimize.lagrangian` (bounds, fixings and its own
  branch and bound, run by :mod:`~estates_opt.optimize.decomposition`) sit below.

No module here imports a solver package: they reach solvers through
:mod:`estates_opt.backends` (a backend, or an :class:`~estates_opt.backends.engine.Engine`).
"""

from estates_opt.optimize.solve import solve

__all__ = ["solve"]
