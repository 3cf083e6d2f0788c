"""The built-in caption metrics, registered in `xmbench.registry.CAPTION_METRICS` on import.

Each entry is a `CaptionMetric`: the functional form (generated captions first, then the references or
embeddings), the torchmetrics class where the metric streams, its VERSION, and the inputs it needs,
so a runner can tell which metrics a suite and an installation support before any work starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torchmetrics import Metric

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
from xmbench.registry import CAPTION_METRICS

#: what a caption metric may need besides the generated captions
KNOWN_INPUTS = frozenset({"references", "image_embed", "caption_embed", "reference_embed", "training_captions", "java"})


@dataclass(frozen=True)
class CaptionMetric:
    """name; function: the functional form; metric_class: torchmetrics class (None: no streaming form);
    version: bumped by hand when values change; needs: subset of KNOWN_INPUTS; higher_is_better."""

    name: str
    function: Callable[..., Any]
    metric_class: type[Metric] | None
    version: int
    needs: frozenset[str]
    higher_is_better: bool = True


_BUILTINS = [
    (CaptionMetric("bleu", bleu, BLEU, BLEU_VERSION, frozenset({"references"})),
     "BLEU-1..4, corpus-level, closest reference length, as pycocoevalcap"),
    (CaptionMetric("rouge_l", rouge_l_per_image, ROUGEL, ROUGE_VERSION, frozenset({"references"})),
     "ROUGE-L F-measure (beta 1.2), as pycocoevalcap"),
    (CaptionMetric("cider_d", cider_d_per_image, CIDErD, CIDER_VERSION, frozenset({"references"})),
     "CIDEr-D (sigma 6, x10, idf from the evaluated references), as pycocoevalcap"),
    (CaptionMetric("meteor", meteor, None, METEOR_VERSION, frozenset({"references", "java"})),
     "METEOR 1.5 through pycocoevalcap's jar (needs Java)"),
    (CaptionMetric("spice", spice, None, SPICE_VERSION, frozenset({"references", "java"})),
     "SPICE through pycocoevalcap's jar (needs Java and Stanford CoreNLP 3.6.0)"),
    (CaptionMetric("clip_s", clip_s_per_image, CLIPS, CLIP_S_VERSION,
                   frozenset({"image_embed", "caption_embed"})),
     "CLIP-S = 2.5 max(cos(image, caption), 0) (Hessel et al. 2021)"),
    (CaptionMetric("refclip_s", refclip_s_per_image, RefCLIPS, CLIP_S_VERSION,
                   frozenset({"image_embed", "caption_embed", "reference_embed", "references"})),
     "RefCLIP-S: harmonic mean of CLIP-S and the best reference cosine"),
    (CaptionMetric("diversity", diversity, None, DIVERSITY_VERSION, frozenset()),
     "vocabulary, distinct-1/2, unique and (with training captions) novel caption shares"),
]  # fmt: skip

for _metric, _summary in _BUILTINS:
    CAPTION_METRICS.register(_metric.name, _metric, summary=_summary)
