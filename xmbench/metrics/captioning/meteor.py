"""METEOR 1.5 as the COCO caption evaluation computes it: pycocoevalcap's Meteor jar, run through Java.

Captions are PTB-tokenised (as pycocoevalcap's COCOEvalCap does) and scored by `meteor-1.5.jar -l en
-norm` (exact, stem, synonym and paraphrase matching; the jar's defaults). The corpus score is the
jar's own aggregate over the images' sufficient statistics, not the mean of per-image scores.
Needs Java and the pycocoevalcap package (which ships the jar and its paraphrase table); without
them one InputError line names what to install.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence

import torch

from xmbench.metrics.captioning._inputs import tokenized
from xmbench.metrics.captioning._java import pycocoevalcap_dir, require_java
from xmbench.metrics.inputs import check_count

VERSION = 1


def meteor(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, tokenize: bool = True
) -> tuple[float, torch.Tensor]:
    """(corpus METEOR, per-image METEOR float64 (N,)), all in [0, 1], from pycocoevalcap's jar.

    Args:
        candidates: one generated caption per image (N).
        references: the reference captions of each image (N lists, each non-empty).
        tokenize: PTB-tokenise captions (True) or take them as already tokenised (False).

    Example:
        >>> corpus, per_image = meteor(["a red circle"], [["a red circle", "one blue square"]])
        >>> round(corpus, 3), per_image.shape
        (1.0, torch.Size([1]))
    """
    cands, refs = tokenized(candidates, references, tokenize)
    check_count(len(cands), 1, "METEOR", "image")
    require_java("METEOR")
    pycocoevalcap_dir("METEOR")
    from pycocoevalcap.meteor.meteor import Meteor

    gts = {i: [" ".join(r) for r in rs] for i, rs in enumerate(refs)}
    res = {i: [" ".join(c)] for i, c in enumerate(cands)}
    scorer = Meteor()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            corpus, per_image = scorer.compute_score(gts, res)
    finally:
        del scorer  # closes the Java process
    return float(corpus), torch.tensor(per_image, dtype=torch.float64)
