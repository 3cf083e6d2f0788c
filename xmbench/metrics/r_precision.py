"""R-precision (AttnGAN / DM-GAN protocol, any joint encoder): does an image retrieve its own caption?

For each generated image i: candidates = its true caption + (candidates−1) captions drawn without
replacement, seeded, from the *other* samples whose group differs from i's group (group = attribute
set, or class, when known; otherwise the caption text). Rank candidates by cosine of image and text
embeddings; hit = the true caption ranks first (a tie with k mismatched captions counts 1/(k+1), so a
constant encoder gives exactly 1/candidates). Samples are split into `folds` by a seeded permutation;
value = mean over folds of the fold hit rate, std = population std over folds (np.std, as DM-GAN/TISE).
Scale: a fraction in [0, 1] everywhere (papers print percentages); higher is better. Seed default 2020.

This module holds the functional form (`r_precision`), the Metric class (`RPrecision`), the Evaluator's
adapter and the registration of "r_precision".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.metrics.adapter import MetricAdapter, metric_value
from xmbench.metrics.bootstrap import bootstrap_mean_values
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.inputs import check_count, check_features
from xmbench.metrics.options import Option
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when R-precision's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 1
#: the scale label results carry (details["scale"]) and the leaderboard header shows
SCALE = "fraction"
#: R-precision's options, checked by the function and (before any work) the Evaluator
OPTIONS = {"candidates": Option("int", low=2), "folds": Option("int", low=1)}


@dataclass(frozen=True)
class RPrecisionResult(MetricResult):
    """R-precision: mean and population std over folds of the fold hit rates, fractions in [0, 1]."""

    mean: float
    std: float
    folds: int
    candidates: int
    hits: np.ndarray = field(repr=False)  # (N,) per-image hit in [0,1] (fractional on ties)
    fold_values: np.ndarray = field(repr=False)  # (folds,)

    def values(self) -> dict[str, float]:
        return {"r_precision": self.mean, "r_precision_std": self.std}


#: a relation and its mirror: "A right of B" is the scene "B left of A" (shapes-skills: "A behind B" is
#: "B in front of A", "A smaller than B" is "B larger than A")
_MIRRORED = {"right of": "left of", "below": "above", "behind": "in front of", "smaller than": "larger than"}


def _scene(record: dict[str, Any]) -> dict[str, Any]:
    """The record without pixel geometry, mirrored relations written one way."""
    scene = {k: v for k, v in record.items() if k != "geometry"}
    objects = scene.get("objects")
    if scene.get("relation") in _MIRRORED and isinstance(objects, list) and len(objects) == 2:
        scene["relation"] = _MIRRORED[scene["relation"]]
        scene["objects"] = objects[::-1]
    return scene


def group_key(caption: str, record: dict[str, Any] | None = None) -> int:
    """A stable int64 group id: the scene (attribute record without pixel geometry, mirrored relations
    normalised) when known, else the caption.

    Example:
        >>> group_key("A red circle.") == group_key("a red circle.")
        True
    """
    if record is not None:
        text = json.dumps(_scene(record), sort_keys=True, default=str)
    else:
        text = "caption:" + caption.strip().lower()
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def draw_candidates(groups: torch.Tensor, candidates: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(N, candidates) sample indices: column 0 the sample itself, then mismatched ones (other groups).

    Mismatched ones are drawn without replacement, uniformly among the samples of other groups
    (numpy Generator(PCG64(seed)); O(N·candidates) by drawing positions in the group-sorted order).

    Example:
        >>> import torch
        >>> draw_candidates(torch.tensor([0, 0, 1, 1]), candidates=3)[:, 0].tolist()
        [0, 1, 2, 3]
    """
    g = groups.cpu().numpy()
    n = len(g)
    order = np.argsort(g, kind="stable")
    sorted_g = g[order]
    first = np.searchsorted(sorted_g, g, side="left")  # where sample i's group starts in sorted order
    size = np.searchsorted(sorted_g, g, side="right") - first
    if n and (n - size).min() < candidates - 1:
        i = int(np.argmin(n - size))
        raise InputError(
            f"R-precision needs {candidates - 1} mismatched captions per image, sample {i} has "
            f"{n - size[i]}; evaluate more samples or lower candidates"
        )
    rng = np.random.default_rng(seed % 2**63)
    out = np.empty((n, candidates), dtype=np.int64)
    out[:, 0] = np.arange(n)
    for i in range(n):
        pos = rng.choice(n - size[i], candidates - 1, replace=False)
        out[i, 1:] = order[np.where(pos < first[i], pos, pos + size[i])]  # skip over i's own group
    return out


def r_precision(
    *,
    image_embed: torch.Tensor,
    text_embed: torch.Tensor,
    groups: torch.Tensor,
    candidates: int = 100,
    folds: int = 10,
    seed: int = DEFAULT_SEED,
) -> RPrecisionResult:
    """R-precision of generated images against their captions (keyword-only: a swap would be silent).

    Args:
        image_embed: joint-space embeddings of the generated images, (N,E), finite.
        text_embed: embeddings of their captions, (N,E), row i for image i.
        groups: (N,) int64 group ids (`group_key`); mismatched captions come from other groups.
        candidates: captions ranked per image (1 true + candidates−1 mismatched).
        folds: folds of the seeded permutation; seed: seed of the draws (default 2020).

    Returns:
        RPrecisionResult: `mean` and population `std` over folds, fractions in [0, 1].

    Example:
        >>> import torch
        >>> labels = torch.arange(20).repeat_interleave(10)
        >>> emb = torch.nn.functional.one_hot(labels).double()  # a perfect encoder
        >>> r_precision(image_embed=emb, text_embed=emb, groups=labels).mean
        1.0
    """
    n = image_embed.shape[0] if isinstance(image_embed, torch.Tensor) else 0
    check_features(image_embed, "R-precision", "image embeddings")
    check_features(text_embed, "R-precision", "text embeddings")
    if text_embed.shape != image_embed.shape or groups.shape != (n,):
        raise InputError(
            f"R-precision needs image/text embeddings (N,E) and groups (N,), got "
            f"{tuple(image_embed.shape)}, {tuple(text_embed.shape)}, {tuple(groups.shape)}"
        )
    OPTIONS["candidates"].check("R-precision", "candidates", candidates)
    OPTIONS["folds"].check("R-precision", "folds", folds)
    check_count(n, folds, "R-precision", "sample", f"evaluate more samples or lower folds (now {folds})")
    idx = torch.as_tensor(draw_candidates(groups, candidates, seed), device=image_embed.device)
    img = torch.nn.functional.normalize(image_embed.double(), dim=1)
    txt = torch.nn.functional.normalize(text_embed.double(), dim=1)
    hits = torch.empty(n, dtype=torch.float64, device=img.device)
    for lo in range(0, n, 4096):
        block = idx[lo : lo + 4096]
        sims = torch.einsum("be,bke->bk", img[lo : lo + 4096], txt[block])
        true = sims[:, :1]
        beaten = (sims[:, 1:] > true).any(1)
        ties = (sims[:, 1:] == true).sum(1)
        hits[lo : lo + 4096] = torch.where(beaten, 0.0, 1.0 / (1 + ties.double()))
    h = hits.cpu().numpy()
    order = np.random.RandomState((seed + 1) % 2**32).permutation(n)
    fold_values = np.array([h[order[f * n // folds : (f + 1) * n // folds]].mean() for f in range(folds)])
    return RPrecisionResult(float(fold_values.mean()), float(fold_values.std()), folds, candidates, h, fold_values)


class RPrecision(Metric):
    """R-precision as a torchmetrics Metric: keeps image/text embeddings and group ids (N·2E floats).

    Args: as `r_precision` (candidates, folds, seed = 2020).

    `update(image_embed=..., text_embed=..., groups=...)` (keyword-only); `compute()` returns
    {"r_precision": mean, "r_precision_std": std} (float64 scalars, fractions); `result()` the
    `RPrecisionResult`.

    Example:
        >>> import torch
        >>> labels = torch.arange(20).repeat_interleave(10)
        >>> emb = torch.nn.functional.one_hot(labels).double()
        >>> metric = RPrecision()
        >>> metric.update(image_embed=emb, text_embed=emb, groups=labels)
        >>> float(metric.compute()["r_precision"])
        1.0
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, candidates: int = 100, folds: int = 10, seed: int = DEFAULT_SEED, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.candidates, self.folds, self.seed = candidates, folds, seed
        for name in ("image_embed", "text_embed", "groups"):
            self.add_state(name, [], dist_reduce_fx="cat")

    def update(self, *, image_embed: torch.Tensor, text_embed: torch.Tensor, groups: torch.Tensor) -> None:
        check_features(image_embed, "R-precision", "image embeddings")
        check_features(text_embed, "R-precision", "text embeddings")
        self.image_embed.append(image_embed.detach())
        self.text_embed.append(text_embed.detach())
        self.groups.append(groups.to(torch.int64))

    def result(self) -> RPrecisionResult:
        """The RPrecisionResult of the samples fed so far (this process's state; compute() syncs first)."""
        if len(self.image_embed) == 0:  # a list before sync, one gathered tensor after
            raise InputError("R-precision needs samples; call update first")
        return r_precision(
            image_embed=dim_zero_cat(self.image_embed),
            text_embed=dim_zero_cat(self.text_embed),
            groups=dim_zero_cat(self.groups),
            candidates=self.candidates,
            folds=self.folds,
            seed=self.seed,
        )

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


class RPrecisionAdapter(MetricAdapter):
    """R-precision in the Evaluator: groups from the attribute records when given, else the caption
    text; options "candidates", "folds"; CI: images resampled, candidate draws fixed."""

    def __init__(self, ctx: MetricContext) -> None:
        o = ctx.options
        super().__init__(ctx, RPrecision(o.get("candidates", 100), o.get("folds", 10), seed=ctx.seed))
        self.grouped_by: set[str] = set()

    def update(self, outputs: Mapping[str, Any]) -> None:
        records = outputs.get("attribute_records")
        groups = []
        for i, caption in enumerate(outputs["captions"]):
            record = records[i] if records is not None else None
            self.grouped_by.add("attribute set" if record is not None else "caption text")
            groups.append(group_key(caption, record))
        self.metric.update(
            image_embed=outputs["image_embed"], text_embed=outputs["text_embed"], groups=torch.tensor(groups)
        )

    def compute(self) -> list[MetricValue]:
        r = self.metric.result()
        details = {
            "encoder": self.ctx.extractor.id,
            "weights_hash": self.ctx.extractor.weights_hash,
            "candidates": r.candidates,
            "folds": r.folds,
            "std": "population (np.std) over folds",
            "mismatched": "drawn from other samples of a different " + " / ".join(sorted(self.grouped_by)),
            "ties": "a tie with k mismatched captions counts 1/(k+1)",
            "unit": "fraction in [0,1]",
            "scale": SCALE,
            "fold_values": r.fold_values.tolist(),
        }
        replicates = None
        if self.ctx.bootstrap:
            replicates = bootstrap_mean_values(torch.from_numpy(r.hits), self.ctx.bootstrap, self.ctx.seed)
        return [
            metric_value(
                self.ctx,
                name="r_precision",
                value=r.mean,
                std=r.std,
                n=len(r.hits),
                higher_is_better=self.higher_is_better,
                details=details,
                replicates=replicates,
                scheme="images resampled, candidate draws fixed",
                bounds=(0.0, 1.0),
            )
        ]


register_metric(
    "r_precision",
    RPrecisionAdapter,
    frozenset({"image_embed", "text_embed", "captions"}),
    version=VERSION,
    higher_is_better=True,
    options=OPTIONS,
    min_samples=lambda o: int(o.get("candidates", 100)),  # the caption plus candidates - 1 mismatched ones
)
