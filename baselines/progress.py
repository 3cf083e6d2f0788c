"""Held-out progress of a reference model while it trains: the evaluation metric its curve plateaus on.

Text → image models are scored by whole-caption attribute accuracy of the images they generate for the
first `samples` captions of the suite's validation split (read by the shapes-v1 evaluator); captioners
by whole-caption correctness of their captions of the first `samples` validation images. The model is
chosen on the validation split, so the test split the leaderboards report stays unseen. Each value
comes with a percentile bootstrap interval over the samples (`xmbench.metrics.defaults`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from xmbench.data.base import Suite
from xmbench.data.rendered import render_split
from xmbench.metrics.bootstrap import bootstrap_mean_ci
from xmbench.metrics.defaults import DEFAULT_RESAMPLES, DEFAULT_SEED

#: the split models are selected on
PROGRESS_SPLIT = "val"
#: validation samples each evaluation scores (the whole validation split of shapes)
PROGRESS_SAMPLES = 2000
#: the curve keys of a generator's and a captioner's evaluation
PROGRESS_KEYS = (f"{PROGRESS_SPLIT}_attribute_accuracy", f"{PROGRESS_SPLIT}_caption_correctness")


def progress_key(model: Any) -> str:
    """The curve key of `model`'s evaluation: "val_caption_correctness" for a captioner, else
    "val_attribute_accuracy".

    Example:
        >>> class Painter:
        ...     def generate(self, captions, seed): ...
        >>> progress_key(Painter())
        'val_attribute_accuracy'
    """
    return (
        f"{PROGRESS_SPLIT}_caption_correctness" if hasattr(model, "caption") else f"{PROGRESS_SPLIT}_attribute_accuracy"
    )


def _with_interval(key: str, right: np.ndarray) -> dict[str, float]:
    low, high = bootstrap_mean_ci(torch.from_numpy(right), DEFAULT_RESAMPLES, seed=DEFAULT_SEED)
    return {key: round(float(right.mean()), 5), f"{key}_low": round(low, 5), f"{key}_high": round(high, 5)}


def _caption_right(model: Any, images: torch.Tensor, records: list[dict[str, Any]]) -> np.ndarray:
    from xmbench.metrics.captioning.correctness import judge_captions

    judgements = judge_captions(model.caption(images, DEFAULT_SEED), records)
    return np.array([j["correct"] for j in judgements], dtype=np.float64)


def _image_right(model: Any, captions: list[str], records: list[dict[str, Any]]) -> np.ndarray:
    from xmbench.extractors import get_extractor
    from xmbench.metrics.attributes import judge_batch

    images = model.generate(captions, DEFAULT_SEED)
    attributes = get_extractor("shapes-v1").images(images)["attributes"]
    return np.array([j["correct"] for j in judge_batch(attributes, captions, records)], dtype=np.float64)


def progress_hook(suite: Suite, samples: int = PROGRESS_SAMPLES) -> Any:
    """An eval hook for `train` (`hook(step, model) -> {key: value, key_low, key_high}`) scoring the
    model on the first `samples` validation samples of `suite`, with `progress_key(model)` as key.

    Args:
        suite: a suite with scene records (shapes).
        samples: validation samples per evaluation, ≥ 1 (capped at the split's size).

    Example:
        >>> from xmbench.data import get_suite
        >>> from baselines.calibration import RealGenerator
        >>> suite = get_suite("shapes")
        >>> hook = progress_hook(suite, samples=20)
        >>> hook(100, RealGenerator.for_suite(suite, "val"))["val_attribute_accuracy"]
        1.0
    """
    data = render_split(suite, PROGRESS_SPLIT, limit=samples)

    def hook(step: int, model: Any) -> dict[str, float]:
        with torch.no_grad():
            if hasattr(model, "caption"):
                right = _caption_right(model, data.images, data.records)
            else:
                right = _image_right(model, data.captions, data.records)
        return _with_interval(progress_key(model), right)

    return hook
