"""Caption (image → text) metrics.

BLEU-1..4, ROUGE-L and CIDEr-D exactly as pycocoevalcap computes them, METEOR and SPICE through its
jars, CLIP-S / RefCLIP-S from joint embeddings, diversity, and exact correctness on `shapes`. Every
metric takes the generated captions first, then the references (a list per image), and PTB-tokenises
captions like pycocoevalcap (`xmbench.text.ptb`) unless `tokenize=False`. The built-in metrics are
listed in `xmbench.registry.CAPTION_METRICS` (see `xmbench.metrics.captioning.registry`).
"""

from xmbench.metrics.captioning.bleu import BLEU, bleu, bleu_from_statistics, bleu_statistics
from xmbench.metrics.captioning.cider import CIDErD, cider_d, cider_d_per_image
from xmbench.metrics.captioning.clip_s import CLIPS, RefCLIPS, clip_s, clip_s_per_image, refclip_s, refclip_s_per_image
from xmbench.metrics.captioning.diversity import diversity
from xmbench.metrics.captioning.meteor import meteor
from xmbench.metrics.captioning.rouge import ROUGEL, rouge_l, rouge_l_per_image
from xmbench.metrics.captioning.spice import spice

__all__ = [
    "BLEU",
    "CIDErD",
    "CLIPS",
    "ROUGEL",
    "RefCLIPS",
    "bleu",
    "bleu_from_statistics",
    "bleu_statistics",
    "cider_d",
    "cider_d_per_image",
    "clip_s",
    "clip_s_per_image",
    "diversity",
    "meteor",
    "refclip_s",
    "refclip_s_per_image",
    "rouge_l",
    "rouge_l_per_image",
    "spice",
]
