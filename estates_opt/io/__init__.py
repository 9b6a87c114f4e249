"""Reading and writing instance folders (MODEL.md section 1)."""

from estates_opt.io.instance_files import read_instance, write_instance
from estates_opt.io.plan_files import PlanFiles, read_plan_files

__all__ = ["PlanFiles", "read_instance", "read_plan_files", "write_instance"]
