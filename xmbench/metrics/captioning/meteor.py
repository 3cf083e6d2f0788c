"""METEOR 1.5 as the COCO caption evaluation computes it: pycocoevalcap's Meteor jar, run through Java.

Captions are PTB-tokenised (as pycocoevalcap's COCOEvalCap does) and scored by `meteor-1.5.jar -l en
-norm` (exact, stem, synonym and paraphrase matching; the jar's defaults). The corpus score is the
jar's own aggregate over the images' sufficient statistics, not the mean of per-image scores.
One jar process serves every call of a Python process (`SHARED_PROCESS`: started on first use, about
10 s, closed at exit). Needs Java and the pycocoevalcap package (which ships the jar and its
paraphrase table); without them one InputError line names what to install.
"""

from __future__ import annotations

import atexit
from collections.abc import Sequence

import torch

from xmbench.metrics.captioning._inputs import tokenized
from xmbench.metrics.captioning._java import pycocoevalcap_dir, require_java
from xmbench.metrics.captioning._meteor_process import MeteorProcess
from xmbench.metrics.inputs import check_count

VERSION = 1

#: the jar every meteor() call uses; `SHARED_PROCESS.close()` frees its memory early (a later call restarts it)
SHARED_PROCESS = MeteorProcess()
atexit.register(SHARED_PROCESS.close)


def meteor(
    candidates: Sequence[str], references: Sequence[Sequence[str]], *, tokenize: bool = True
) -> tuple[float, torch.Tensor]:
    """(corpus METEOR, per-image METEOR float64 (N,)), all in [0, 1], from pycocoevalcap's jar.

    The inputs are checked before Java starts; the first call starts the jar, later calls reuse it.

    Args:
        candidates: one generated caption per image (N).
        references: the reference captions of each image (N lists, each non-empty).
        tokenize: PTB-tokenise captions (True) or take them as already tokenised (False).

    Example:
        >>> corpus, per_image = meteor(["a red circle"], [["a red circle", "one blue square"]])  # doctest: +SKIP
        >>> round(corpus, 3), per_image.shape  # doctest: +SKIP
        (1.0, torch.Size([1]))
        >>> meteor(["a red circle"], [["a red circle"], ["one blue square"]])  # no Java needed to refuse
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: got 1 candidate captions but 2 reference lists; give one of each per image
    """
    cands, refs = tokenized(candidates, references, tokenize)
    check_count(len(cands), 1, "METEOR", "image")
    require_java("METEOR")
    pycocoevalcap_dir("METEOR")
    corpus, per_image = SHARED_PROCESS.score([" ".join(c) for c in cands], [[" ".join(r) for r in rs] for rs in refs])
    return corpus, torch.tensor(per_image, dtype=torch.float64)
