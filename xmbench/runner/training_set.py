"""The training set a run's memorisation metric compares with, built once per run.

`[metric_options.memorisation]` says how much of it: `train_samples` training images (default the whole
"train" split) and `floor_renders` fresh renders of their scene records (default
`memorisation.DEFAULT_FLOOR_RENDERS`) for the noise floor. The training images come from the rendered
split cache (`xmbench.data.rendered`); render k of the floor is `Suite.render(record k, seed)` with a
seed derived from the run's seed and k. Both are extracted chunk by chunk (sharded under torchrun,
cached by content like every extractor output); rank 0 holds the result.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from xmbench import distributed as dist
from xmbench.data.base import Suite
from xmbench.data.rendered import render_split
from xmbench.errors import InputError
from xmbench.extractors.shapes_v1.extractor import ID as SHAPES_V1
from xmbench.metrics.evaluator import extract_images
from xmbench.metrics.memorisation import DEFAULT_FLOOR_RENDERS, TrainingSet, training_scenes
from xmbench.runner.config import RunConfig, located
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.sharding import sharded
from xmbench.seeding import derive_seed

TRAIN_SPLIT = "train"


def sizes(config: RunConfig, suite: Suite) -> tuple[int, int]:
    """(training images, fresh renders) the run compares with, checked against the suite before any
    work: it needs a "train" split, scene records and `render`; counts within the split.

    Example:
        >>> from xmbench.data import get_suite
        >>> from xmbench.runner.config import parse_config
        >>> text = '[evaluation]\\nmetrics = ["memorisation"]\\n[metric_options.memorisation]\\ntrain_samples = 500\\n'
        >>> sizes(parse_config(text + '[[models]]\\ncalibration = "noise"\\n'), get_suite("shapes"))
        (500, 500)
    """
    options = config.metric_options.get("memorisation", {})
    where = "metric_options.memorisation" if options else "evaluation.metrics"
    if TRAIN_SPLIT not in suite.splits or not (hasattr(suite, "records") and hasattr(suite, "render")):
        problem = f"suite {suite.name!r} has no {TRAIN_SPLIT!r} split of scene records it can render"
        raise located(config, where, InputError(f"memorisation compares with {problem}; drop memorisation"))
    available = suite.splits[TRAIN_SPLIT]
    train = options.get("train_samples") or available
    if train > available:
        raise located(
            config,
            where,
            InputError(f"memorisation: train_samples = {train}, but split {TRAIN_SPLIT!r} holds {available}; lower it"),
        )
    return train, min(train, options.get("floor_renders", DEFAULT_FLOOR_RENDERS))


def _features(
    images: Callable[[int, int], torch.Tensor], count: int, chunk: int, extractor: CachingExtractor, what: str
) -> torch.Tensor | None:
    """float (count, D) features of images(start, end), chunk by chunk (rank 0; None elsewhere)."""

    def work(start: int) -> dict[str, torch.Tensor]:
        batch = images(start, min(count, start + chunk))
        return {"features": extract_images(extractor, batch, what, needs={"features"})["features"]}

    parts = [out["features"].cpu() for _, out in sharded(range(0, count, chunk), work, what, extractor.device)]
    return torch.cat(parts) if dist.is_main() else None


def build_training_set(config: RunConfig, suite: Suite, extractor: CachingExtractor) -> TrainingSet | None:
    """The run's TrainingSet on rank 0 (None on the other ranks, which help extract); every rank calls it."""
    train, renders = sizes(config, suite)
    rendered = render_split(suite, TRAIN_SPLIT, limit=train)
    records = rendered.records

    def fresh(start: int, end: int) -> torch.Tensor:
        seeds = [derive_seed(config.seed, "memorisation floor", k) for k in range(start, end)]
        return torch.from_numpy(np.stack([suite.render(records[k], seeds[k - start]) for k in range(start, end)]))

    features = _features(lambda a, b: rendered.images[a:b], train, config.chunk, extractor, "training images")
    floor = _features(fresh, renders, config.chunk, extractor, "fresh renders of training records")
    if features is None or floor is None:
        return None
    # scene copies compare shapes-v1 readings of scenes; other evaluators read scenes their own way
    scenes = training_scenes(records) if extractor.info.id == SHAPES_V1 else None
    return TrainingSet(features, floor, scenes, TRAIN_SPLIT)


__all__ = ["TRAIN_SPLIT", "build_training_set", "sizes"]
