"""The caption metrics, one registry: each built-in is registered in `xmbench.registry.CAPTION_METRICS`
on import, and a plugin registered at the `xmbench.caption_metrics` entry point is run like them.

Each entry is a `CaptionMetric`: its scorer (what the runner and `score_captions` call), the functional
form (generated captions first, then the references or embeddings), the torchmetrics class where the
metric streams, its VERSION, its declared options and the inputs it needs, so a runner can tell which
metrics a suite and an installation support, and check their options, before any work starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torchmetrics import Metric

from xmbench.metrics.captioning import correctness, retrieval
from xmbench.metrics.captioning import scores as _scores
from xmbench.metrics.captioning.bleu import BLEU, bleu
from xmbench.metrics.captioning.bleu import VERSION as BLEU_VERSION
from xmbench.metrics.captioning.cider import VERSION as CIDER_VERSION
from xmbench.metrics.captioning.cider import CIDErD, cider_d_per_image
from xmbench.metrics.captioning.clip_s import CLIPS, RefCLIPS, clip_s_per_image, refclip_s_per_image
from xmbench.metrics.captioning.clip_s import VERSION as CLIP_S_VERSION
from xmbench.metrics.captioning.diversity import VERSION as DIVERSITY_VERSION
from xmbench.metrics.captioning.diversity import diversity
from xmbench.metrics.captioning.meteor import VERSION as METEOR_VERSION
from xmbench.metrics.captioning.meteor import meteor
from xmbench.metrics.captioning.rouge import ROUGEL, rouge_l_per_image
from xmbench.metrics.captioning.rouge import VERSION as ROUGE_VERSION
from xmbench.metrics.captioning.spice import VERSION as SPICE_VERSION
from xmbench.metrics.captioning.spice import spice
from xmbench.metrics.options import Option
from xmbench.metrics.r_precision import OPTIONS as R_PRECISION_OPTIONS
from xmbench.registry import CAPTION_METRICS

#: what a caption metric may need besides the generated captions: the references, the shapes scene
#: records, the joint encoder's embeddings and retrieval groups, the training captions, Java, CoreNLP
KNOWN_INPUTS = frozenset(
    {
        "references",
        "records",
        "image_embed",
        "text_embed",
        "reference_embed",
        "groups",
        "training_captions",
        "java",
        "corenlp",
    }
)


@dataclass(frozen=True)
class CaptionMetric:
    """One caption metric.

    name; score: `score(data, boot, tokens, **options) -> list[MetricValue]` (see
    `xmbench.metrics.captioning.scores`); function: the functional form; metric_class: its torchmetrics
    class (None: no streaming form); version: bumped by hand when values change; needs: subset of
    KNOWN_INPUTS; tokens: whether the scorer reads PTB tokens; options: declared options (name ->
    `Option`); higher_is_better.
    """

    name: str
    score: Callable[..., list[Any]]
    function: Callable[..., Any] | None
    metric_class: type[Metric] | None
    version: int
    needs: frozenset[str]
    tokens: bool = False
    options: Mapping[str, Option] = field(default_factory=dict)
    higher_is_better: bool = True


_REFS = frozenset({"references"})
_JOINT = frozenset({"image_embed", "text_embed"})
_BUILTINS = [
    (CaptionMetric("caption_correctness", _scores._correctness, correctness.correctness_scores, None,
                   correctness.VERSION, frozenset({"records"})),
     "exact correctness against the shapes scene (with its parts)"),
    (CaptionMetric("bleu", _scores._bleu, bleu, BLEU, BLEU_VERSION, _REFS, tokens=True),
     "BLEU-1..4, corpus-level, closest reference length, as pycocoevalcap"),
    (CaptionMetric("meteor", _scores._meteor, meteor, None, METEOR_VERSION, _REFS | {"java"}, tokens=True),
     "METEOR 1.5 through pycocoevalcap's jar (needs Java)"),
    (CaptionMetric("rouge_l", _scores._rouge, rouge_l_per_image, ROUGEL, ROUGE_VERSION, _REFS, tokens=True),
     "ROUGE-L F-measure (beta 1.2), as pycocoevalcap"),
    (CaptionMetric("cider_d", _scores._cider, cider_d_per_image, CIDErD, CIDER_VERSION, _REFS, tokens=True),
     "CIDEr-D (sigma 6, x10, idf from the evaluated references), as pycocoevalcap"),
    (CaptionMetric("spice", _scores._spice, spice, None, SPICE_VERSION, _REFS | {"java", "corenlp"}, tokens=True),
     "SPICE through pycocoevalcap's jar (needs Java and Stanford CoreNLP 3.6.0)"),
    (CaptionMetric("clip_s", _scores._clip_s, clip_s_per_image, CLIPS, CLIP_S_VERSION, _JOINT),
     "CLIP-S = 2.5 max(cos(image, caption), 0) (Hessel et al. 2021)"),
    (CaptionMetric("refclip_s", _scores._refclip_s, refclip_s_per_image, RefCLIPS, CLIP_S_VERSION,
                   _JOINT | {"reference_embed", "references"}),
     "RefCLIP-S: harmonic mean of CLIP-S and the best reference cosine"),
    (CaptionMetric("caption_r_precision", _scores._retrieval, retrieval.caption_retrieval, None, retrieval.VERSION,
                   _JOINT | {"groups"}, options=R_PRECISION_OPTIONS),
     "caption -> image R-precision with the joint encoder"),
    (CaptionMetric("diversity", _scores._diversity, diversity, None, DIVERSITY_VERSION, frozenset(), tokens=True),
     "vocabulary, distinct-1/2, unique and (with training captions) novel caption shares"),
]  # fmt: skip

for _metric, _summary in _BUILTINS:
    CAPTION_METRICS.register(_metric.name, _metric, summary=_summary)
