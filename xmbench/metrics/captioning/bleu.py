"""BLEU-1..4 as the COCO caption evaluation (pycocoevalcap) computes it.

Per image the sufficient statistics are: candidate length c, the *closest* reference length r (ties
go to the shorter reference: pycocoevalcap's `option='closest'`), and for n = 1..N the number of
candidate n-grams g_n = max(c - n + 1, 0) and the clipped matches m_n = Σ_gram min(count in
candidate, max count in any one reference). Corpus BLEU-n sums the statistics over images, then

    BLEU-n = (Π_{k≤n} (m_k + 1e-15) / (g_k + 1e-9))^(1/n) · BP,   BP = exp(1 - r/c) if c < r else 1,

with pycocoevalcap's smoothing constants kept (c/r is computed as (c + 1e-15) / (r + 1e-9)), so an
empty candidate or a zero n-gram count gives the same (tiny, not NaN) values. pycocoevalcap's
per-image BLEU is the same formula on one image's statistics. Statistics are sums over images, so a
bootstrap over images resamples rows of `bleu_statistics` and applies `bleu_from_statistics`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torchmetrics import Metric

from xmbench.errors import InputError
from xmbench.metrics.captioning._inputs import Tokens, tokenized
from xmbench.metrics.captioning._ngrams import caption_set, lookup, unique
from xmbench.metrics.captioning._streaming import gathered
from xmbench.metrics.inputs import check_count

VERSION = 1
MAX_N = 4
_TINY = 1e-15
_SMALL = 1e-9


def _check_max_n(max_n: int) -> None:
    if not isinstance(max_n, int) or max_n < 1:
        raise InputError(f"BLEU max_n must be a positive int (4 for BLEU-1..4), got {max_n!r}")


def bleu_statistics_from_tokens(
    candidates: Sequence[Tokens], references: Sequence[Sequence[Tokens]], max_n: int = MAX_N
) -> torch.Tensor:
    """Per-image statistics (N, 2 + 2·max_n) float64 from token tuples; see `bleu_statistics`."""
    _check_max_n(max_n)
    cs = caption_set(candidates, references, max_n)
    t, n = cs.table, cs.n_images
    # the most often any one reference of the image holds each n-gram
    ref_idx, ref_keys = cs.keys(candidates=False)
    unique_keys, inverse, _ = unique(ref_keys)
    ref_max = np.zeros(unique_keys.size, dtype=np.int64)
    np.maximum.at(ref_max, inverse, t.count[ref_idx])
    cand_idx, cand_keys = cs.keys(candidates=True)
    clipped = np.minimum(t.count[cand_idx], lookup(unique_keys, ref_max, cand_keys))
    cells = t.sequence[cand_idx] * max_n + t.order[cand_idx]
    matches = np.bincount(cells, weights=clipped, minlength=n * max_n).reshape(n, max_n)
    c = t.lengths[:n]
    guesses = np.maximum(c[:, None] - np.arange(max_n), 0)
    # closest reference length, ties to the shorter: minimise |l - c|·span + l
    ref_lengths, ref_image = t.lengths[n:], cs.image[n:]
    span = int(ref_lengths.max(initial=0)) + 1
    closest = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(closest, ref_image, np.abs(ref_lengths - c[ref_image]) * span + ref_lengths)
    stats = np.concatenate([c[:, None], (closest % span)[:, None], guesses, matches], axis=1)
    return torch.from_numpy(stats.astype(np.float64))


def bleu_statistics(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, max_n: int = MAX_N, tokenize: bool = True
) -> torch.Tensor:
    """Per-image BLEU sufficient statistics.

    Args:
        candidates: one generated caption per image (N).
        references: the reference captions of each image (N lists, each non-empty).
        max_n: highest n-gram order (4 for BLEU-1..4).
        tokenize: PTB-tokenise captions (True) or split pre-tokenised strings on whitespace (False).

    Returns:
        float64 (N, 2 + 2·max_n): columns [c, r, g_1..g_max_n, m_1..m_max_n] (module docstring).

    Example:
        >>> bleu_statistics(["a red circle"], [["a red square", "one red circle"]])[0].tolist()
        [3.0, 3.0, 3.0, 2.0, 1.0, 0.0, 3.0, 2.0, 0.0, 0.0]
    """
    cands, refs = tokenized(candidates, references, tokenize)
    return bleu_statistics_from_tokens(cands, refs, max_n)


def bleu_from_statistics(statistics: torch.Tensor) -> torch.Tensor:
    """BLEU-1..max_n from summed statistics (..., 2 + 2·max_n) -> (..., max_n), in [0, 1].

    Sum rows over images first for corpus BLEU; apply to single rows for pycocoevalcap's per-image
    BLEU; apply to (R, 2 + 2·max_n) resampled sums for bootstrap replicates.

    Example:
        >>> s = torch.tensor([[3.0, 3.0, 3.0, 2.0, 3.0, 2.0]])  # c, r, g1, g2, m1, m2
        >>> bleu_from_statistics(s.sum(0)).round(decimals=6).tolist()
        [1.0, 1.0]
    """
    s = statistics.double()
    max_n = (s.shape[-1] - 2) // 2
    if s.shape[-1] != 2 + 2 * max_n or max_n < 1:
        raise InputError(f"BLEU statistics need 2 + 2·max_n columns, got {s.shape[-1]}")
    c, r = s[..., 0], s[..., 1]
    guesses, matches = s[..., 2 : 2 + max_n], s[..., 2 + max_n :]
    products = torch.cumprod((matches + _TINY) / (guesses + _SMALL), dim=-1)
    orders = torch.arange(1, max_n + 1, dtype=torch.float64, device=s.device)
    scores = products ** (1.0 / orders)
    ratio = (c + _TINY) / (r + _SMALL)
    penalty = torch.where(ratio < 1, torch.exp(1 - 1 / ratio), torch.ones_like(ratio))
    return scores * penalty.unsqueeze(-1)


def bleu(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, max_n: int = MAX_N, tokenize: bool = True
) -> torch.Tensor:
    """Corpus BLEU-1..max_n as pycocoevalcap computes it (closest reference length), float64 (max_n,) in [0, 1].

    Args:
        candidates: one generated caption per image (N).
        references: the reference captions of each image (N lists, each non-empty).
        max_n: highest n-gram order (4 for BLEU-1..4).
        tokenize: PTB-tokenise captions (True) or split pre-tokenised strings on whitespace (False).

    Example:
        >>> bleu(["A red circle."], [["a red circle", "one blue square"]]).round(decimals=6).tolist()
        [1.0, 1.0, 1.0, 0.031623]

        BLEU-4 of a 3-word caption is not 0: pycocoevalcap's smoothing gives (1e-15 / 1e-9)^(1/4).
    """
    statistics = bleu_statistics(candidates, references, max_n=max_n, tokenize=tokenize)
    check_count(statistics.shape[0], 1, "BLEU", "image")
    return bleu_from_statistics(statistics.sum(0))


class BLEU(Metric):
    """Streaming corpus BLEU-1..max_n (pycocoevalcap's): compute() -> float64 (max_n,).

    State: the summed per-image statistics (memory independent of N), plus, with `per_image=True`,
    every image's statistics (a list state, for bootstrap CIs over images). Both sync across
    processes (sum / concatenation).

    Example:
        >>> m = BLEU(max_n=2)
        >>> m.update(["a red circle"], [["a red circle"]])
        >>> m.update(["a blue square"], [["a blue square"]])
        >>> m.compute().round(decimals=6).tolist()
        [1.0, 1.0]
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, max_n: int = MAX_N, tokenize: bool = True, per_image: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        _check_max_n(max_n)
        self.max_n, self.tokenize, self.per_image = max_n, tokenize, per_image
        self.add_state("totals", torch.zeros(2 + 2 * max_n, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n", torch.zeros((), dtype=torch.int64), dist_reduce_fx="sum")
        if per_image:
            self.add_state("statistics", [], dist_reduce_fx="cat")

    def update(self, candidates: Sequence[str], references: Sequence[Sequence[str]]) -> None:
        stats = bleu_statistics(candidates, references, max_n=self.max_n, tokenize=self.tokenize)
        self.totals = self.totals + stats.sum(0)
        self.n = self.n + stats.shape[0]
        if self.per_image:
            self.statistics.append(stats)

    def compute(self) -> torch.Tensor:
        check_count(int(self.n), 1, "BLEU", "image", "call update first")
        return bleu_from_statistics(self.totals)

    def per_image_statistics(self) -> torch.Tensor:
        """(N, 2 + 2·max_n) statistics of every image fed, by every process (needs `per_image=True`)."""
        if not self.per_image:
            raise InputError("per-image BLEU statistics need BLEU(per_image=True)")
        return gathered(self, "statistics", torch.zeros(0, 2 + 2 * self.max_n, dtype=torch.float64))
