"""CIDEr-D as the COCO caption evaluation (pycocoevalcap's `Cider`) computes it.

Each caption becomes, for n = 1..4, a TF-IDF vector over its n-grams: tf · (log N − log max(1, df)),
with N the number of images evaluated and df the number of images whose references contain the
n-gram (document frequencies come from the *evaluated set's references*, so a score depends on the
set it is computed in; a single image scores 0). For a candidate c and reference r,

    s_n(c, r) = Σ_g min(c_g, r_g)·r_g / (‖c‖·‖r‖) · exp(−(ℓ_c − ℓ_r)² / (2σ²)),   σ = 6,

with clipped candidate weights ("-D"), and ℓ pycocoevalcap's length: the caption's number of
bigrams (its word count − 1, and 0 for an empty caption). The image's score is 10 · mean over n and
over references; CIDEr-D is the mean over images. When every reference of the set is empty
pycocoevalcap fails; here every score is then 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torchmetrics import Metric

from xmbench.metrics.captioning._inputs import Tokens, tokenized
from xmbench.metrics.captioning._ngrams import caption_set, lookup, unique
from xmbench.metrics.captioning._streaming import gathered
from xmbench.metrics.inputs import check_count

VERSION = 1
MAX_N = 4
SIGMA = 6.0


def cider_d_from_tokens(
    candidates: Sequence[Tokens], references: Sequence[Sequence[Tokens]], sigma: float = SIGMA
) -> torch.Tensor:
    """Per-image CIDEr-D (N,) float64 from token tuples; see `cider_d_per_image`."""
    check_count(len(candidates), 1, "CIDEr-D", "image")
    cs = caption_set(candidates, references, MAX_N)
    t, n = cs.table, cs.n_images
    ref_idx, ref_keys = cs.keys(candidates=False)
    df = np.bincount(unique(ref_keys)[0] % max(t.n_grams, 1), minlength=t.n_grams)
    idf = math.log(float(n)) - np.log(np.maximum(1.0, df))
    weights = t.count * idf[t.gram]
    sequences = t.lengths.size
    cells = t.sequence * MAX_N + t.order
    norms = np.sqrt(np.bincount(cells, weights=weights**2, minlength=sequences * MAX_N)).reshape(sequences, MAX_N)
    cand_idx, cand_keys = cs.keys(candidates=True)
    ref_weights = weights[ref_idx]
    clipped = np.minimum(lookup(cand_keys, weights[cand_idx], ref_keys), ref_weights) * ref_weights
    dots = np.bincount(cells[ref_idx], weights=clipped, minlength=sequences * MAX_N).reshape(sequences, MAX_N)[n:]
    ref_image = cs.image[n:]
    denominators = norms[ref_image] * norms[n:]
    cosines = np.divide(dots, denominators, out=np.zeros(dots.shape), where=denominators != 0)
    length = np.maximum(t.lengths - 1, 0).astype(np.float64)  # pycocoevalcap's length: the bigram count
    penalty = np.e ** (-((length[ref_image] - length[n:]) ** 2) / (2 * sigma**2))
    per_reference = (cosines * penalty[:, None]).sum(1)
    scores = np.bincount(ref_image, weights=per_reference, minlength=n) / MAX_N / cs.refs_per_image * 10.0
    return torch.from_numpy(scores)


def cider_d_per_image(
    candidates: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    sigma: float = SIGMA,
    tokenize: bool = True,
) -> torch.Tensor:
    """CIDEr-D of every image, float64 (N,), in [0, 10·max cosine] (0 = nothing shared; 10 ≈ a perfect match).

    Document frequencies come from all N images' references, so scores depend on the evaluated set:
    a bootstrap over images keeps them fixed.

    Args:
        candidates: one generated caption per image (N ≥ 1).
        references: the reference captions of each image (N lists, each non-empty).
        sigma: standard deviation of the length penalty, in tokens (6 in pycocoevalcap).
        tokenize: PTB-tokenise captions (True) or split pre-tokenised strings on whitespace (False).

    Example:
        >>> refs = [["a red circle"], ["a blue square"], ["a green star"]]
        >>> cider_d_per_image(["a red circle", "a blue circle", "nothing"], refs).round(decimals=4).tolist()
        [7.5, 2.5, 0.0]

        A 3-word caption has no 4-grams, so even an exact match scores 7.5 (three of four orders).
    """
    cands, refs = tokenized(candidates, references, tokenize)
    return cider_d_from_tokens(cands, refs, sigma)


def cider_d(
    candidates: Sequence[str],
    references: Sequence[Sequence[str]],
    *,
    sigma: float = SIGMA,
    tokenize: bool = True,
) -> torch.Tensor:
    """CIDEr-D of a set of captions (pycocoevalcap's `Cider`): mean per-image score, float64 scalar.

    Example:
        >>> refs = [["a red circle"], ["a blue square"]]
        >>> round(float(cider_d(["a red circle", "a blue square"], refs)), 6)
        7.5
    """
    return cider_d_per_image(candidates, references, sigma=sigma, tokenize=tokenize).mean()


_IMAGE_END = "\x1e"  # whitespace to str.split, so never inside a token


def _encode(candidates: Sequence[Tokens], references: Sequence[list[Tokens]]) -> torch.Tensor:
    text = "".join(
        "\n".join(" ".join(t) for t in (c, *rs)) + _IMAGE_END for c, rs in zip(candidates, references, strict=True)
    )
    data = text.encode("utf-8")
    return torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.zeros(0, dtype=torch.uint8)


def _decode(data: torch.Tensor) -> tuple[list[Tokens], list[list[Tokens]]]:
    images = bytes(data.to(torch.uint8).cpu().numpy()).decode("utf-8").split(_IMAGE_END)[:-1]
    lines = [[tuple(line.split()) for line in image.split("\n")] for image in images]
    return [img[0] for img in lines], [img[1:] for img in lines]


class CIDErD(Metric):
    """Streaming CIDEr-D (pycocoevalcap's `Cider`): compute() -> mean per-image score (float64 scalar).

    Document frequencies need every reference of the evaluated set, so the state is the tokenised
    captions themselves (UTF-8 bytes in a list state, equivalent to per-image n-gram counts and more
    compact); memory grows with N and sync across processes concatenates them. Scores are computed
    once, in compute(). After a multi-process sync the images are in rank order.

    Example:
        >>> m = CIDErD()
        >>> m.update(["a red circle"], [["a red circle"]])
        >>> m.update(["a blue square"], [["a blue square"]])
        >>> round(float(m.compute()), 6)
        7.5
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, sigma: float = SIGMA, tokenize: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sigma, self.tokenize = sigma, tokenize
        self.add_state("captions", [], dist_reduce_fx="cat")

    def update(self, candidates: Sequence[str], references: Sequence[Sequence[str]]) -> None:
        self.captions.append(_encode(*tokenized(candidates, references, self.tokenize)))

    def per_image_scores(self) -> torch.Tensor:
        """(N,) float64 CIDEr-D of every image fed, with document frequencies from all of them."""
        data = gathered(self, "captions", torch.zeros(0, dtype=torch.uint8))
        return cider_d_from_tokens(*_decode(data), self.sigma)

    def compute(self) -> torch.Tensor:
        return self.per_image_scores().mean()
