"""`shapes-v1`: the evaluator of the embedded shapes suite, trained by `xmbench train-evaluator`.

Importing this package registers the extractor id "shapes-v1".
"""

from xmbench.extractors import register_extractor
from xmbench.extractors.shapes_v1.extractor import ID, SUMMARY, ShapesV1Extractor

register_extractor(ID, ShapesV1Extractor, SUMMARY)

__all__ = ["ShapesV1Extractor"]
