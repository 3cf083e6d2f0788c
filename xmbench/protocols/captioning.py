"""Image -> text protocol presets: which images are captioned, which references score them, which metrics.

coco-karpathy  MS-COCO 2014 images of Karpathy's test split (5,000), one caption each, scored against
               every reference of the image (about 5) as the COCO caption evaluation does: PTB
               tokenisation, BLEU-1..4, METEOR, ROUGE-L, CIDEr-D (document frequencies from the
               test references), SPICE; CLIP-S and RefCLIP-S with CLIP ViT-B/32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xmbench.data.base import Suite
from xmbench.errors import InputError


@dataclass(frozen=True)
class CaptionProtocol:
    """A fixed image -> text recipe: every image of `split` captioned once, scored against all its references.

    metrics: caption metric names; extractor: the joint encoder for the CLIP-style scores, whose
    weights come from the user's weights mapping under `weights_key`.
    """

    name: str
    suite: str
    split: str
    metrics: tuple[str, ...]
    extractor: str
    weights_key: str
    summary: str = ""
    references: str = "all"
    task: str = "image-to-text"

    def image_indices(self, suite: Suite) -> list[int]:
        """The sample indices (one per image of `split`) whose images are captioned, in order."""
        if suite.name != self.suite:
            raise InputError(f"protocol {self.name!r} runs on suite {self.suite!r}, got {suite.name!r}")
        return suite.image_indices(self.split)

    def record(self) -> dict[str, Any]:
        """JSON-able description for result records."""
        return {
            "protocol": self.name,
            "task": self.task,
            "suite": self.suite,
            "split": self.split,
            "references": self.references,
            "metrics": list(self.metrics),
            "extractor": self.extractor,
            "summary": self.summary,
        }


CAPTION_PRESETS: dict[str, CaptionProtocol] = {
    "coco-karpathy": CaptionProtocol(
        name="coco-karpathy",
        suite="coco-karpathy",
        split="test",
        metrics=("bleu", "meteor", "rouge_l", "cider_d", "spice", "clip_s", "refclip_s", "diversity"),
        extractor="clip-vit-b-32",
        weights_key="clip",
        summary="MS-COCO Karpathy test, 5,000 images, all references; BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE "
        "(COCO caption evaluation), CLIP-S and RefCLIP-S with CLIP ViT-B/32, diversity",
    ),
}
