"""Reading and writing instance folders (MODEL.md section 1)."""

from estates_opt.io.instance_files import read_instance, write_instance

__all__ = ["read_instance", "write_instance"]
