"""ROUGE-L as the COCO caption evaluation (pycocoevalcap) computes it.

Per image, with LCS the longest common subsequence of tokens: P = max_r LCS(c, r)/|c| and
R = max_r LCS(c, r)/|r| — each maximised over the references *separately*, as pycocoevalcap does —
and ROUGE-L = (1 + β²)·P·R / (R + β²·P) with β = 1.2 (0 when P or R is 0); the score is the mean over
images. Like pycocoevalcap (which splits on a single space), an empty caption counts as one empty
token, so an empty candidate matches an empty reference (score 1) and nothing else (score 0).
LCS lengths use the bit-parallel algorithm (Allison & Dix 1986; Hyyrö 2004): one big-integer step
per reference token.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from xmbench.metrics.captioning._inputs import Tokens, tokenized
from xmbench.metrics.captioning._streaming import PerImageMean
from xmbench.metrics.inputs import check_count

VERSION = 1
BETA = 1.2


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of token sequences `a` and `b`.

    Example:
        >>> lcs_length("a red circle left of a square".split(), "a circle of a blue square".split())
        5
    """
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = (v + u) | (v - u)
    return len(a) - (v & full).bit_count()


def _image_rouge_l(candidate: Tokens, references: list[Tokens], beta: float) -> float:
    cand = candidate or ("",)
    precision = recall = 0.0
    for reference in references:
        ref = reference or ("",)
        lcs = lcs_length(cand, ref)
        precision = max(precision, lcs / len(cand))
        recall = max(recall, lcs / len(ref))
    if precision == 0 or recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)


def rouge_l_per_image(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, beta: float = BETA, tokenize: bool = True
) -> torch.Tensor:
    """ROUGE-L F-measure of every image, float64 (N,) in [0, 1].

    Args:
        candidates: one generated caption per image (N).
        references: the reference captions of each image (N lists, each non-empty).
        beta: weight of recall over precision (1.2 in pycocoevalcap).
        tokenize: PTB-tokenise captions (True) or split pre-tokenised strings on whitespace (False).

    Example:
        >>> refs = [["a red circle"], ["a blue square"]]
        >>> rouge_l_per_image(["a red circle", "a square"], refs).round(decimals=4).tolist()
        [1.0, 0.7722]
    """
    cands, refs = tokenized(candidates, references, tokenize)
    return torch.tensor([_image_rouge_l(c, rs, beta) for c, rs in zip(cands, refs, strict=True)], dtype=torch.float64)


def rouge_l(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, beta: float = BETA, tokenize: bool = True
) -> torch.Tensor:
    """Mean ROUGE-L F-measure over images (pycocoevalcap's), float64 scalar in [0, 1].

    Example:
        >>> float(rouge_l(["a red circle"], [["a red circle", "two squares"]]))
        1.0
    """
    scores = rouge_l_per_image(candidates, references, beta=beta, tokenize=tokenize)
    check_count(scores.shape[0], 1, "ROUGE-L", "image")
    return scores.mean()


class ROUGEL(PerImageMean):
    """Streaming ROUGE-L (pycocoevalcap's): update(candidates, references); compute() -> mean over images.

    Example:
        >>> m = ROUGEL()
        >>> m.update(["a red circle"], [["a red circle"]])
        >>> m.update(["a square"], [["a circle"]])
        >>> float(m.compute())
        0.75
    """

    metric_name = "ROUGE-L"

    def __init__(self, beta: float = BETA, tokenize: bool = True, per_image: bool = False, **kwargs) -> None:
        super().__init__(per_image=per_image, **kwargs)
        self.beta, self.tokenize = beta, tokenize

    def scores(self, candidates: Sequence[str], references: Sequence[Sequence[str]]) -> torch.Tensor:
        return rouge_l_per_image(candidates, references, beta=self.beta, tokenize=self.tokenize)
