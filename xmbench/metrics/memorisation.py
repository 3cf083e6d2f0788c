"""Memorisation: does a generator hand back its training images (HEIM's originality, MiFID's concern)?

Two shares of the generated images, both lower-is-better, in [0, 1]:

- `memorisation`: images whose nearest training image, by Euclidean distance in the evaluator's
  feature space, is closer than the renderer's own noise floor;
- `scene_copies`: images whose evaluator-read scene is exactly the scene of some training record
  while differing from their own prompt's scene (a training scene drawn instead of the one asked for).

The noise floor is measured, not chosen: fresh renders of training scene records (the suite draws
new size, placement, colour and background jitter for the same record, `Suite.render`) are compared
with the training set, and the floor is the `quantile` (default 0.01) of their nearest-training
distances. The suite's own renderer, drawing a training scene anew, comes closer than the floor to a
training image only that often; an exact copy is at distance 0. Why nearest distances and not the
distance between two renders of one record: the training set holds many renders of most scenes, and
the nearest of many independent renders is much closer than a random pair of them (see
docs/metrics/memorisation.md for the figures).

This module holds the functional forms, `TrainingSet` (what the runner builds once per run: the
training images' features and scenes, and the fresh renders' features), the Evaluator's adapter and
the registration of "memorisation" (needs "training": `Evaluator(..., training=TrainingSet(...))`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError
from xmbench.extractors.shapes_v1.targets import canonical, decode
from xmbench.metrics.adapter import extractor_details, metric_value
from xmbench.metrics.attributes import expected_scenes, ratio_replicates
from xmbench.metrics.inputs import check_count, check_features
from xmbench.metrics.options import Option
from xmbench.metrics.prompts import prompt_sums
from xmbench.metrics.registry import EvalMetric, MetricContext, register_metric
from xmbench.metrics.value import MetricValue

#: bump by hand when the metric's outputs change
VERSION = 1
HIGHER_IS_BETTER = False
#: the share of the renderer's own fresh renders allowed below the floor
DEFAULT_QUANTILE = 0.01
#: fresh renders of training records that measure the floor (the runner's default)
DEFAULT_FLOOR_RENDERS = 1000
OPTIONS = {
    "quantile": Option("number", low=1e-4, high=0.5),
    # read by the runner that builds the TrainingSet: training images compared (null: the whole split)
    "train_samples": Option("int", low=2, nullable=True),
    "floor_renders": Option("int", low=20),
}
#: rows of generated features compared with the training set at once
_CHUNK = 512


@dataclass(frozen=True)
class TrainingSet:
    """What memorisation compares generated images with.

    features: float (M,D) evaluator features of training images 0..M-1 of `split`; renders: float (P,D)
    features of fresh renders of the scene records of training images 0..P-1 (the noise floor); scenes:
    canonical scene keys (`scene_key`) of the M training records, or None (no scene_copies);
    split: the training split's name (recorded).
    """

    features: torch.Tensor
    renders: torch.Tensor
    scenes: frozenset[str] | None = None
    split: str = "train"


def scene_key(scene: Mapping[str, Any]) -> str:
    """A canonical scene as one comparable string.

    Example:
        >>> scene_key({"count": 1, "slots": []}) == scene_key({"slots": [], "count": 1})
        True
    """
    return json.dumps(scene, sort_keys=True)


def training_scenes(records: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The canonical scene keys of scene records (`targets.canonical`).

    Example:
        >>> from xmbench.data import get_suite
        >>> len(training_scenes(get_suite("shapes").records("train", range(10)))) <= 10
        True
    """
    return frozenset(scene_key(canonical(dict(r))) for r in records)


def nearest_distances(features: torch.Tensor, training: torch.Tensor) -> torch.Tensor:
    """float64 (N,) Euclidean distance of each of `features` (N,D) to its nearest row of `training` (M,D).

    Example:
        >>> nearest_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]), torch.tensor([[0.0, 0.0], [6.0, 8.0]])).tolist()
        [0.0, 5.0]
    """
    x = check_features(features, "memorisation").double()
    t = check_features(training, "memorisation", "training features", dim=x.shape[1]).double().to(x.device)
    check_count(t.shape[0], 1, "memorisation", "training image", "compare with a non-empty training set")
    parts = [torch.cdist(x[i : i + _CHUNK], t).min(dim=1).values for i in range(0, x.shape[0], _CHUNK)]
    return torch.cat(parts).cpu() if parts else torch.zeros(0, dtype=torch.float64)


def noise_floor(training: TrainingSet, quantile: float = DEFAULT_QUANTILE) -> float:
    """The distance the renderer's fresh renders of training scenes come below only a `quantile` of the
    time: the `quantile` of their nearest-training distances.

    Example:
        >>> t = TrainingSet(torch.zeros(1, 1), torch.arange(1.0, 102.0).unsqueeze(1))
        >>> noise_floor(t, 0.01)
        2.0
    """
    check_count(training.renders.shape[0], 2, "memorisation's noise floor", "fresh render")
    return float(np.quantile(nearest_distances(training.renders, training.features).numpy(), quantile))


def memorised(features: torch.Tensor, training: TrainingSet, floor: float) -> np.ndarray:
    """bool (N,): whether each generated image's nearest training image is closer than `floor`.

    Example:
        >>> t = TrainingSet(torch.tensor([[0.0, 0.0]]), torch.zeros(2, 2))
        >>> memorised(torch.tensor([[0.0, 0.0], [3.0, 4.0]]), t, floor=1.0).tolist()
        [True, False]
    """
    return (nearest_distances(features, training.features) < floor).numpy()


def copied_scenes(
    seen: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]], scenes: frozenset[str]
) -> np.ndarray:
    """bool (N,): whether each read scene (canonical) is a training scene and not the expected one.

    Example:
        >>> a, b, c = {"count": 1, "slots": ["a"]}, {"count": 1, "slots": ["b"]}, {"count": 1, "slots": ["c"]}
        >>> copied_scenes([a, b, c], [a, a, a], frozenset({scene_key(a), scene_key(b)})).tolist()
        [False, True, False]
    """
    keys = [(scene_key(s), scene_key(e)) for s, e in zip(seen, expected, strict=True)]
    return np.array([s in scenes and s != e for s, e in keys], dtype=bool)


class Memorisation(EvalMetric):
    """The Evaluator's adapter for "memorisation": keeps the generated features (and, with the shapes-v1
    evaluator's attributes and the prompts' records, the read and expected scenes); needs
    `ctx.training`, a `TrainingSet`.

    Example:
        >>> from xmbench.extractors.base import ExtractorInfo
        >>> training = TrainingSet(torch.eye(3), torch.eye(3) + 0.5)
        >>> ctx = MetricContext(ExtractorInfo("toy-v1", "", None, "none", 3), bootstrap=0, training=training)
        >>> metric = Memorisation(ctx)
        >>> metric.update({"features": torch.tensor([[1.0, 0.0, 0.0], [5.0, 5.0, 5.0]])})
        >>> [(v.name, v.value) for v in metric.compute()]
        [('memorisation', 0.5)]
    """

    def __init__(self, ctx: MetricContext) -> None:
        self.ctx = ctx
        self.features: list[torch.Tensor] = []
        self.seen: list[dict[str, Any]] = []
        self.expected: list[dict[str, Any]] = []
        self.prompts: list[int] = []

    def update(self, outputs: Mapping[str, Any]) -> None:
        features = outputs["features"].detach().cpu()
        first = len(self.prompts)
        self.features.append(features)
        self.prompts += [int(p) for p in outputs.get("prompts", range(first, first + features.shape[0]))]
        if self.ctx.training is not None and self.ctx.training.scenes is not None and "attributes" in outputs:
            self.seen += decode(outputs["attributes"].cpu())
            self.expected += expected_scenes(list(outputs["captions"]), list(outputs["attribute_records"]))

    def compute(self) -> list[MetricValue]:
        training = self.ctx.training
        if training is None:
            raise InputError("memorisation needs the training set: pass Evaluator(..., training=TrainingSet(...))")
        check_count(len(self.prompts), 1, "memorisation", "generated image")
        quantile = float(self.ctx.options.get("quantile", DEFAULT_QUANTILE))
        floor = noise_floor(training, quantile)
        details = {
            **extractor_details(self.ctx.extractor),
            "training": {"split": training.split, "images": int(training.features.shape[0])},
            "noise_floor": {"distance": floor, "quantile": quantile, "renders": int(training.renders.shape[0])},
        }
        parts = [("memorisation", memorised(torch.cat(self.features), training, floor), "nearest training image")]
        if training.scenes is not None and len(self.seen) == len(self.prompts):
            copies = copied_scenes(self.seen, self.expected, training.scenes)
            parts.append(("scene_copies", copies, "read scene is a training scene, not the prompt's"))
        return [self._value(name, flags, {**details, "scope": scope}) for name, flags, scope in parts]

    def _value(self, name: str, flags: np.ndarray, details: dict[str, Any]) -> MetricValue:
        ones = np.ones(len(flags), dtype=np.float64)
        hits, images = prompt_sums(flags.astype(np.float64), self.prompts), prompt_sums(ones, self.prompts)
        return metric_value(
            self.ctx,
            name=name,
            value=float(flags.mean()),
            n=len(flags),
            higher_is_better=HIGHER_IS_BETTER,
            details=details,
            replicates=ratio_replicates(hits, images, self.ctx.bootstrap, self.ctx.seed),
            scheme="prompts resampled with replacement (their images together)",
            bounds=(0.0, 1.0),
        )


register_metric(
    "memorisation",
    Memorisation,
    frozenset({"features", "training"}),
    version=VERSION,
    higher_is_better=HIGHER_IS_BETTER,
    options=OPTIONS,
)
