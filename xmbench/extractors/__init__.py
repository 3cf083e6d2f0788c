"""Extractor registry: named frozen networks mapping images (and captions) to features."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.registry import EXTRACTORS

ExtractorFactory = Callable[..., Extractor]


def register_extractor(name: str, factory: ExtractorFactory, summary: str) -> None:
    """Register `factory(**options) -> Extractor` under `name` (same as EXTRACTORS.register)."""
    EXTRACTORS.register(name, factory, summary=summary)


def list_extractors() -> dict[str, str]:
    """Extractor id -> one-line summary."""
    return EXTRACTORS.summaries()


def get_extractor(name: str, **options: Any) -> Extractor:
    """Build the extractor `name`; options such as weights=PATH, device=... go to its factory."""
    return EXTRACTORS.get(name)(**options)


for _name, _target, _summary in [
    (
        "shapes-v1",
        "xmbench.extractors.shapes_v1:ShapesV1Extractor",
        "shipped shapes evaluator: 256-d features, 30 shape x colour classes, attributes, "
        "small CLIP (32x32, no resize)",
    ),
    (
        "shapes-skills-v1",
        "xmbench.extractors.shapes_skills_v1:ShapesSkillsV1Extractor",
        "shipped shapes-skills evaluator: 256-d features, per-cell / anchor / lone-object attribute heads, "
        "small CLIP (32x32, no resize)",
    ),
    (
        "inception-v3-fid",
        "xmbench.extractors.inception:InceptionExtractor",
        "torch-fidelity's TF-compatible InceptionV3: pool3 2048-d features (FID, KID), 1008 logits (IS)",
    ),
    (
        "inception-v3-finetuned",
        "xmbench.extractors.inception:finetuned",
        "InceptionV3 fine-tuned on a dataset (user-supplied), for the StackGAN-era CUB/Oxford IS",
    ),
    (
        "clip-vit-b-32",
        "xmbench.extractors.clip:ClipExtractor",
        "open_clip ViT-B/32 with OpenAI weights: L2-normalised image and text embeddings "
        "(CLIP score, CLIP-R-precision); the same as clip:ViT-B-32/openai",
    ),
    (
        "dinov2-vit-l-14",
        "xmbench.extractors.dinov2:DINOv2Extractor",
        "DINOv2 ViT-L/14 (Meta's weights, user-placed): 1024-d final CLS token at 224 px, dgm-eval's "
        "protocol (FD reported as fd_dinov2)",
    ),
    (
        "clip:",
        "xmbench.extractors.clip:open_clip_extractor",
        "clip:ARCH/PRETRAINED, any open_clip model (e.g. clip:ViT-L-14/openai, clip:ViT-L-14-336/openai "
        "for CMMD): L2-normalised image and text embeddings",
    ),
]:
    EXTRACTORS.register(_name, lazy=_target, summary=_summary)

__all__ = ["Extractor", "ExtractorInfo", "get_extractor", "list_extractors", "register_extractor"]
