"""The evaluator's own targets: attribute accuracy and R-precision of real images with true captions."""

from __future__ import annotations

from typing import Any

import torch

from xmbench.data.base import Suite
from xmbench.data.rendered import render_split
from xmbench.extractors.base import Extractor
from xmbench.extractors.shapes_v1.targets import canonical
from xmbench.metrics.attributes import accuracies, judge_batch
from xmbench.metrics.attributes_skills import accuracies as skills_accuracies
from xmbench.metrics.attributes_skills import judge_batch as skills_judge_batch
from xmbench.metrics.r_precision import group_key, r_precision


def scene_groups(captions: list[str], records: list[dict[str, Any]]) -> torch.Tensor:
    """R-precision groups (N,) int64: the canonical scene, so mirrored captions of one scene share a group."""
    return torch.tensor(
        [group_key(c, canonical(r)) for c, r in zip(captions, records, strict=False)], dtype=torch.int64
    )


def measure_targets(
    extractor: Extractor, suite: Suite, split: str, limit: int | None = None, seed: int = 0
) -> dict[str, Any]:
    """Attribute accuracies (fractions) and R-precision (1 true vs 99 captions of other scenes, 10 folds)
    of the split's real images against their own captions."""
    data = render_split(suite, split, limit=limit)
    out = extractor.images(data.images.to(extractor.device))
    text = extractor.text(data.captions)
    acc = accuracies(judge_batch(out["attributes"], data.captions, data.records))
    rp = r_precision(
        image_embed=out["image_embed"],
        text_embed=text,
        groups=scene_groups(data.captions, data.records),
        candidates=100,
        folds=10,
        seed=seed,
    )
    return {
        "split": split,
        "n": len(data.captions),
        "attribute_accuracy": acc,
        "r_precision": {"mean": rp.mean, "std": rp.std, "candidates": 100, "folds": 10},
    }


def measure_skills_targets(
    extractor: Extractor, suite: Suite, split: str, limit: int | None = None, seed: int = 0
) -> dict[str, Any]:
    """`measure_targets` for the shapes-skills evaluator: attribute and per-skill accuracies (fractions, by
    `attributes_skills`) and R-precision of the split's real images against their own captions.

    Example:
        >>> from xmbench.data.shapes_skills import ShapesSkillsSuite
        >>> from xmbench.extractors.shapes_skills_v1 import ShapesSkillsV1Extractor
        >>> t = measure_skills_targets(ShapesSkillsV1Extractor(), ShapesSkillsSuite(seed=1), "test", limit=120)
        >>> t["n"], t["attribute_accuracy"]["caption"] > 0.9
        (120, True)
    """
    data = render_split(suite, split, limit=limit)
    out = extractor.images(data.images.to(extractor.device))
    acc = skills_accuracies(skills_judge_batch(out["attributes"], data.captions, data.records))
    groups = torch.tensor([group_key(c, r) for c, r in zip(data.captions, data.records, strict=True)])
    rp = r_precision(
        image_embed=out["image_embed"],
        text_embed=extractor.text(data.captions),
        groups=groups,
        candidates=100,
        folds=10,
        seed=seed,
    )
    return {
        "split": split,
        "n": len(data.captions),
        "attribute_accuracy": {k: v for k, v in acc.items() if v == v},
        "r_precision": {"mean": rp.mean, "std": rp.std, "candidates": 100, "folds": 10},
    }
