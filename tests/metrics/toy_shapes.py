"""ToyShapes: the toy extractor under the shapes-v1 id, with "attributes" (for attribute_accuracy)."""

import torch
from conftest import ToyExtractor

from xmbench.extractors.shapes_v1.targets import HEADS


class ToyShapes(ToyExtractor):
    """The toy extractor under the shapes-v1 id, with "attributes": per head, a class index derived
    deterministically from the features (what attribute_accuracy reads)."""

    def __init__(self) -> None:
        super().__init__(ident="shapes-v1")
        self.info = type(self.info)(**{**self.info.__dict__, "yields": self.info.yields | {"attributes"}})

    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        out = super().images(images)
        sizes = torch.tensor([len(classes) for classes in HEADS.values()])
        codes = (out["features"][:, : len(sizes)].double().abs() * 1000).long()
        out["attributes"] = codes % sizes
        return out
