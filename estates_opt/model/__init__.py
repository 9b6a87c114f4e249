"""Instance -> model arrays (MODEL.md sections 3-5), shared by every backend."""

from estates_opt.model.arrays import ROW_FAMILIES, Block, ModelArrays
from estates_opt.model.build import build_model

__all__ = ["ROW_FAMILIES", "Block", "ModelArrays", "build_model"]
