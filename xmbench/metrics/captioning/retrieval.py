"""Caption -> image retrieval R-precision: does a generated caption find its own image?

The AttnGAN / DM-GAN R-precision protocol with the roles swapped (`xmbench.metrics.r_precision`):
for each image i, its generated caption is the query; the candidates are image i and
(candidates - 1) images drawn without replacement, seeded, from other groups (other scenes on
`shapes`, other images on the real suites); rank by cosine of the evaluator's joint embeddings; hit
when the true image ranks first (a tie with k mismatched images counts 1/(k+1)). Value: mean over
`folds` seeded folds; std: population std over folds; CI: percentile bootstrap over images of the
per-image hits, candidate draws fixed.
"""

from __future__ import annotations

import torch

from xmbench.deprecation import renamed
from xmbench.metrics.bootstrap import bootstrap_mean_values, bootstrap_value, check_bootstrap
from xmbench.metrics.defaults import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from xmbench.metrics.r_precision import RPrecisionResult, r_precision
from xmbench.metrics.value import MetricValue

NAME = "caption_r_precision"
#: bump when the values change
VERSION = 1


@renamed(caption_embed="text_embed")
def caption_retrieval(
    text_embed: torch.Tensor,
    image_embed: torch.Tensor,
    groups: torch.Tensor,
    candidates: int = 100,
    folds: int = 10,
    seed: int = DEFAULT_SEED,
) -> RPrecisionResult:
    """R-precision of captions (N,E) retrieving their images (N,E) among `candidates`; groups (N,) int64.

    Example:
        >>> e = torch.eye(4)
        >>> caption_retrieval(e, e, torch.arange(4), candidates=3, folds=2).mean
        1.0
    """
    # the query (a caption) takes the image's role in r_precision, the candidates (images) the captions'
    return r_precision(
        image_embed=text_embed, text_embed=image_embed, groups=groups, candidates=candidates, folds=folds, seed=seed
    )


@renamed(caption_embed="text_embed")
def caption_r_precision(
    text_embed: torch.Tensor,
    image_embed: torch.Tensor,
    groups: torch.Tensor,
    encoder: str,
    weights_hash: str,
    *,
    candidates: int = 100,
    folds: int = 10,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
) -> MetricValue:
    """`caption_retrieval` as a MetricValue named "caption_r_precision", with its encoder and protocol.

    Args:
        text_embed, image_embed: float (N,E) joint embeddings of the generated captions and of the images.
        groups: int64 (N,): mismatched images come from other groups.
        encoder, weights_hash: the joint encoder's id and weights digest (recorded in details).
        candidates, folds, seed: the protocol; resamples, confidence: the bootstrap CI (0 resamples: none).
    """
    check_bootstrap(resamples, confidence)
    r = caption_retrieval(text_embed, image_embed, groups, candidates, folds, seed)
    replicates = bootstrap_mean_values(torch.from_numpy(r.hits), resamples, seed) if resamples else None
    details = {
        "encoder": encoder,
        "weights_hash": weights_hash,
        "candidates": r.candidates,
        "folds": r.folds,
        "direction": "caption -> image: the generated caption ranks its image among images of other groups",
        "std": "population (np.std) over folds",
        "ties": "a tie with k mismatched images counts 1/(k+1)",
        "unit": "fraction in [0,1]",
    }
    scheme = "images resampled, candidate draws fixed"
    return bootstrap_value(
        NAME, r.mean, len(r.hits), True, details, replicates, confidence, std=r.std, scheme=scheme, bounds=(0.0, 1.0)
    )
