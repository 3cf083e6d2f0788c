"""`shapes-v1`: the evaluator of the embedded shapes suite, trained by `xmbench train-evaluator`."""

from xmbench.extractors.shapes_v1.extractor import ShapesV1Extractor

__all__ = ["ShapesV1Extractor"]
