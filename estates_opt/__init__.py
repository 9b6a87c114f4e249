"""estates_opt: decide what to keep, sell, share and reinvest in across a public estate.

The first script reads like the task::

    import estates_opt as eo

    inst = eo.read_instance("data/ncl_pilot")
    inst = inst.with_scenario(housing_target=3_000)
    plan = eo.solve(inst, mip_gap=0.01, time_limit=300)
    print(plan)
    eo.write_plan(plan, "out/ncl")
"""

from estates_opt import rules
from estates_opt.backends.base import available_solvers
from estates_opt.check import CheckReport, PlanCheckError, Violation, check
from estates_opt.datasets import load_sample, sample_names
from estates_opt.errors import (
    DataWarning,
    EstatesOptError,
    InputError,
    Problem,
    SolverNotAvailableError,
)
from estates_opt.instance import Instance
from estates_opt.io import (
    read_instance,
    read_plan_files,
    read_sites,
    read_zones,
    write_instance,
)
from estates_opt.io.atomic import OutputExistsError
from estates_opt.io.plan_read import read_plan
from estates_opt.io.plan_write import write_plan
from estates_opt.io.scenario_file import read_scenario
from estates_opt.optimize import solve
from estates_opt.plan import Kpis, Plan, PlanStatusError
from estates_opt.scenario import Scenario, Service
from estates_opt.status import Status

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "DataWarning",
    "EstatesOptError",
    "InputError",
    "Instance",
    "Kpis",
    "OutputExistsError",
    "Plan",
    "PlanCheckError",
    "PlanStatusError",
    "Problem",
    "Scenario",
    "Service",
    "SolverNotAvailableError",
    "Status",
    "Violation",
    "__version__",
    "available_solvers",
    "check",
    "load_sample",
    "read_instance",
    "read_plan",
    "read_plan_files",
    "read_scenario",
    "read_sites",
    "read_zones",
    "rules",
    "sample_names",
    "solve",
    "write_instance",
    "write_plan",
]
