"""The procedural `shapes` suite: the embedded default, rendered from (split, index, seed) alone."""

from xmbench.data.shapes.suite import ShapesSuite

__all__ = ["ShapesSuite"]
