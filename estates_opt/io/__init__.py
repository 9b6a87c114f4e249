"""Reading and writing instance folders (MODEL.md section 1)."""

from estates_opt.io.instance_files import read_instance, write_instance
from estates_opt.io.own_estate import read_sites, read_zones
from estates_opt.io.plan_files import PlanFiles, read_plan_files
from estates_opt.io.points import lonlat_to_bng
from estates_opt.io.postcodes import postcode_xy

__all__ = [
    "PlanFiles",
    "lonlat_to_bng",
    "postcode_xy",
    "read_instance",
    "read_plan_files",
    "read_sites",
    "read_zones",
    "write_instance",
]
