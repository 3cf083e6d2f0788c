"""R-precision (AttnGAN / DM-GAN protocol, any joint encoder): does an image retrieve its own caption?

For each generated image i: candidates = its true caption + (candidates−1) captions drawn without
replacement, seeded, from the *other* samples whose group differs from i's group (group = attribute
set, or class, when known; otherwise the caption text). Rank candidates by cosine of image and text
embeddings; hit = the true caption ranks first (a tie with k mismatched captions counts 1/(k+1), so a
constant encoder gives exactly 1/candidates). Samples are split into `folds` by a seeded permutation;
value = mean over folds of the fold hit rate, std = population std over folds (np.std, as DM-GAN/TISE).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError


@dataclass(frozen=True)
class RPrecisionResult:
    mean: float
    std: float
    folds: int
    candidates: int
    hits: np.ndarray  # (N,) per-image hit in [0,1] (fractional on ties)
    fold_values: np.ndarray  # (folds,)


#: a relation and its mirror: "A right of B" is the scene "B left of A"
_MIRRORED = {"right of": "left of", "below": "above"}


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
    normalised) when known, else the caption."""
    if record is not None:
        text = json.dumps(_scene(record), sort_keys=True, default=str)
    else:
        text = "caption:" + caption.strip().lower()
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def draw_candidates(groups: torch.Tensor, candidates: int, seed: int) -> np.ndarray:
    """(N, candidates) sample indices: column 0 the sample itself, then mismatched ones (other groups).

    Mismatched ones are drawn without replacement, uniformly among the samples of other groups
    (numpy Generator(PCG64(seed)); O(N·candidates) by drawing positions in the group-sorted order).
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
    image_embed: torch.Tensor,
    text_embed: torch.Tensor,
    groups: torch.Tensor,
    candidates: int = 100,
    folds: int = 10,
    seed: int = 0,
) -> RPrecisionResult:
    """R-precision of images (N,E) against their captions' embeddings (N,E); groups (N,) int64."""
    n = image_embed.shape[0]
    if text_embed.shape != image_embed.shape or groups.shape != (n,):
        raise InputError(
            f"R-precision needs image/text embeddings (N,E) and groups (N,), got "
            f"{tuple(image_embed.shape)}, {tuple(text_embed.shape)}, {tuple(groups.shape)}"
        )
    if n < folds:
        raise InputError(f"R-precision with {folds} folds needs at least {folds} samples, got {n}")
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
    """R-precision as a torchmetrics Metric: keeps image/text embeddings and group ids (N·2E floats)."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, candidates: int = 100, folds: int = 10, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.candidates, self.folds, self.seed = candidates, folds, seed
        for name in ("image_embed", "text_embed", "groups"):
            self.add_state(name, [], dist_reduce_fx="cat")

    def update(self, image_embed: torch.Tensor, text_embed: torch.Tensor, groups: torch.Tensor) -> None:
        self.image_embed.append(image_embed.detach())
        self.text_embed.append(text_embed.detach())
        self.groups.append(groups.to(torch.int64))

    def result(self) -> RPrecisionResult:
        if len(self.image_embed) == 0:  # a list before sync, one gathered tensor after
            raise InputError("R-precision needs samples; call update first")
        return r_precision(
            dim_zero_cat(self.image_embed),
            dim_zero_cat(self.text_embed),
            dim_zero_cat(self.groups),
            self.candidates,
            self.folds,
            self.seed,
        )

    def compute(self) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.result()
        return torch.tensor(r.mean, dtype=torch.float64), torch.tensor(r.std, dtype=torch.float64)
