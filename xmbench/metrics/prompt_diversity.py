"""Per-prompt diversity: how different a generator's K images of one prompt are (mode collapse per prompt).

With several images per prompt (`[evaluation] images_per_prompt = K`), each prompt's images are
compared among themselves:

- `prompt_diversity`: the mean pairwise Euclidean distance between the evaluator's features of a
  prompt's K images, averaged over prompts (feature units; 0 when a generator returns one image K times);
- `prompt_diversity_scenes`: the number of distinct scenes the evaluator reads in a prompt's K images
  (its decoded "attributes", in canonical form), averaged over prompts, in [1, K]; only with an extractor
  that reads scenes (`shapes-v1`).

Both are higher-is-better in the sense that a collapsed generator scores lowest; a prompt that fully
specifies its scene leaves room only for the suite's own jitter, so the readings' ideal is 1 and the
feature spread's ideal is the real images' own spread. CIs resample prompts. This module holds the
functional forms, the Evaluator's adapter and the registration of "prompt_diversity".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError
from xmbench.extractors.shapes_skills_v1 import targets as skills_targets
from xmbench.extractors.shapes_v1.targets import decode
from xmbench.metrics.adapter import extractor_details, metric_value
from xmbench.metrics.bootstrap import bootstrap_mean_values
from xmbench.metrics.prompts import images_per_prompt, prompt_groups
from xmbench.metrics.registry import EvalMetric, MetricContext, register_metric
from xmbench.metrics.value import MetricValue

#: bump by hand when the metric's outputs change
VERSION = 1
HIGHER_IS_BETTER = True


def _check_several(prompts: Sequence[int]) -> None:
    fewest = images_per_prompt(prompts)[0]
    if fewest < 2:
        raise InputError(
            f"prompt_diversity compares a prompt's images, but a prompt has {fewest}; generate at least 2 per "
            "prompt ([evaluation] images_per_prompt = 4) or drop prompt_diversity"
        )


def feature_spread(features: torch.Tensor, prompts: Sequence[int]) -> np.ndarray:
    """float64 (P,) mean pairwise Euclidean distance of each prompt's images' features (N,D).

    Example:
        >>> import torch
        >>> f = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [1.0, 1.0]])
        >>> feature_spread(f, [0, 0, 1, 1]).tolist()
        [5.0, 0.0]
    """
    _check_several(prompts)
    x = features.double().cpu()
    out = []
    for group in prompt_groups(prompts):
        d = torch.cdist(x[group], x[group])
        k = len(group)
        out.append(float(d.sum()) / (k * (k - 1)))
    return np.asarray(out, dtype=np.float64)


def distinct_scenes(attributes: torch.Tensor, prompts: Sequence[int]) -> np.ndarray:
    """float64 (P,) number of distinct scenes the evaluator reads in each prompt's images, from its
    predicted "attributes": shapes-v1's (N,9) decoded, or shapes-skills-v1's categorical heads.

    Example:
        >>> from xmbench.data.shapes.grammar import parse_caption
        >>> from xmbench.extractors.shapes_v1.targets import encode
        >>> small, large = (parse_caption(f"a {s} red circle in the top left") for s in ("small", "large"))
        >>> a = encode([small, small, small, large]).clamp_min(0)
        >>> distinct_scenes(a, [0, 0, 1, 1]).tolist()
        [1.0, 2.0]
    """
    _check_several(prompts)
    attributes = attributes.cpu()
    if attributes.shape[1] == len(skills_targets.HEADS) + skills_targets.CELLS:
        # shapes-skills-v1: its categorical heads (the trailing cell radii are measurements, not readings)
        readings = [json.dumps(row) for row in attributes[:, : len(skills_targets.HEADS)].tolist()]
    else:
        readings = [json.dumps(s, sort_keys=True) for s in decode(attributes)]
    return np.asarray([len({readings[i] for i in g}) for g in prompt_groups(prompts)], dtype=np.float64)


class PromptDiversity(EvalMetric):
    """The Evaluator's adapter for "prompt_diversity": keeps features, readings and prompt indices.

    Example:
        >>> from xmbench.extractors.base import ExtractorInfo
        >>> metric = PromptDiversity(MetricContext(ExtractorInfo("toy-v1", "", None, "none", 2), bootstrap=0))
        >>> metric.update({"features": torch.tensor([[0.0, 0.0], [3.0, 4.0]]), "prompts": [0, 0]})
        >>> [(v.name, v.value) for v in metric.compute()]
        [('prompt_diversity', 5.0)]
    """

    def __init__(self, ctx: MetricContext) -> None:
        self.ctx = ctx
        self.features: list[torch.Tensor] = []
        self.attributes: list[torch.Tensor] = []
        self.prompts: list[int] = []

    def update(self, outputs: Mapping[str, Any]) -> None:
        self.features.append(outputs["features"].detach().cpu())
        if "attributes" in outputs:
            self.attributes.append(outputs["attributes"].detach().cpu())
        self.prompts += [int(p) for p in outputs["prompts"]]

    def compute(self) -> list[MetricValue]:
        _check_several(self.prompts)
        parts = [("prompt_diversity", feature_spread(torch.cat(self.features), self.prompts), "features")]
        if self.attributes and sum(len(a) for a in self.attributes) == len(self.prompts):
            readings = distinct_scenes(torch.cat(self.attributes), self.prompts)
            parts.append(("prompt_diversity_scenes", readings, "distinct scene readings"))
        fewest, most = images_per_prompt(self.prompts)
        out = []
        for name, per_prompt, what in parts:
            boot = self.ctx.bootstrap
            replicates = bootstrap_mean_values(torch.from_numpy(per_prompt), boot, self.ctx.seed) if boot else None
            details = {
                **extractor_details(self.ctx.extractor),
                "scope": f"{what} of a prompt's images, averaged over prompts",
                "prompts": len(per_prompt),
                "images_per_prompt": fewest if fewest == most else [fewest, most],
            }
            out.append(
                metric_value(
                    self.ctx,
                    name=name,
                    value=float(per_prompt.mean()),
                    n=len(self.prompts),
                    higher_is_better=HIGHER_IS_BETTER,
                    details=details,
                    replicates=replicates,
                    scheme="prompts resampled with replacement",
                    bounds=(0.0, None) if name == "prompt_diversity" else (1.0, float(most)),
                )
            )
        return out


register_metric(
    "prompt_diversity",
    PromptDiversity,
    frozenset({"features", "prompts"}),
    version=VERSION,
    higher_is_better=HIGHER_IS_BETTER,
)
