"""Many solves: scenario sweeps, trade-off frontiers, Monte Carlo and governance.

The only home of Dask in the project (imported lazily, so ``estates_opt`` works
without the ``scenarios`` extra).
"""

from estates_opt.scenarios.frontier import Frontier, distance_frontier, housing_frontier
from estates_opt.scenarios.governance import GovernanceResult, compare_governance
from estates_opt.scenarios.run import PlanRecord, SweepResult, run_scenarios, solve_variant
from estates_opt.scenarios.spec import ScenarioSet, Variant, apply_variant, read_scenario_set
from estates_opt.scenarios.uncertainty import UncertaintyResult, monte_carlo

__all__ = [
    "Frontier",
    "GovernanceResult",
    "PlanRecord",
    "ScenarioSet",
    "SweepResult",
    "UncertaintyResult",
    "Variant",
    "apply_variant",
    "compare_governance",
    "distance_frontier",
    "housing_frontier",
    "monte_carlo",
    "read_scenario_set",
    "run_scenarios",
    "solve_variant",
]
