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

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError
from xmbench.metrics.captioning._inputs import Tokens, ngram_counts, tokenized

VERSION = 1
MAX_N = 4
SIGMA = 6.0

_Vector = tuple[dict[Tokens, float], list[float], int]


def _document_frequency(counts: list[list[dict[Tokens, int]]]) -> dict[Tokens, int]:
    df: dict[Tokens, int] = {}
    for image_refs in counts:
        for gram in set().union(*image_refs):
            df[gram] = df.get(gram, 0) + 1
    return df


def _vector(counts: dict[Tokens, int], idf: dict[Tokens, float], log_n: float, max_n: int) -> _Vector:
    """TF-IDF weights (one dict over all orders), per-order norms, and length (bigram count)."""
    weights = {}
    squares = [0.0] * max_n
    for gram, tf in counts.items():
        w = tf * idf.get(gram, log_n)
        weights[gram] = w
        squares[len(gram) - 1] += w * w
    length = sum(tf for gram, tf in counts.items() if len(gram) == 2)
    return weights, [math.sqrt(s) for s in squares], length


def _similarity(cand: _Vector, ref: _Vector, max_n: int, sigma: float) -> float:
    """Σ over orders of the clipped, length-penalised cosine of two TF-IDF vectors."""
    c_weights, c_norms, c_length = cand
    r_weights, r_norms, r_length = ref
    dots = [0.0] * max_n
    for gram, w in c_weights.items():
        rw = r_weights.get(gram)
        if rw is not None:
            dots[len(gram) - 1] += min(w, rw) * rw
    penalty = math.e ** (-((c_length - r_length) ** 2) / (2 * sigma**2))
    total = 0.0
    for n in range(max_n):
        if c_norms[n] != 0 and r_norms[n] != 0:
            total += dots[n] / (c_norms[n] * r_norms[n]) * penalty
    return total


def cider_d_from_tokens(
    candidates: Sequence[Tokens], references: Sequence[list[Tokens]], max_n: int = MAX_N, sigma: float = SIGMA
) -> torch.Tensor:
    """Per-image CIDEr-D (N,) float64 from token tuples; see `cider_d_per_image`."""
    if not candidates:
        raise InputError("CIDEr-D needs at least one image (document frequencies come from the evaluated set)")
    ref_counts = [[ngram_counts(r, max_n) for r in refs] for refs in references]
    log_n = math.log(float(len(candidates)))
    idf = {gram: log_n - math.log(max(1.0, df)) for gram, df in _document_frequency(ref_counts).items()}
    scores = []
    for cand, image_refs in zip(candidates, ref_counts, strict=True):
        c_vec = _vector(ngram_counts(cand, max_n), idf, log_n, max_n)
        total = sum(_similarity(c_vec, _vector(r, idf, log_n, max_n), max_n, sigma) for r in image_refs)
        scores.append(total / max_n / len(image_refs) * 10.0)
    return torch.tensor(scores, dtype=torch.float64)


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
    return cider_d_from_tokens(cands, refs, MAX_N, sigma)


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
    return torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8)


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
        if not self.captions:
            raise InputError("CIDEr-D needs at least one image; call update first")
        return cider_d_from_tokens(*_decode(dim_zero_cat(self.captions)), MAX_N, self.sigma)

    def compute(self) -> torch.Tensor:
        return self.per_image_scores().mean()
