"""Caption (image → text) metrics: BLEU-1..4, ROUGE-L and CIDEr-D as pycocoevalcap computes them.

Every metric takes generated captions first, then the list of reference captions per image, and
PTB-tokenises them like pycocoevalcap (`xmbench.text.ptb`) unless `tokenize=False`.
`CAPTION_METRICS` maps each metric name to its torchmetrics class and VERSION, for the runner.
"""

from xmbench.metrics.captioning import bleu as _bleu_module
from xmbench.metrics.captioning import cider as _cider_module
from xmbench.metrics.captioning import rouge as _rouge_module
from xmbench.metrics.captioning.bleu import BLEU, bleu, bleu_from_statistics, bleu_statistics
from xmbench.metrics.captioning.cider import CIDErD, cider_d, cider_d_per_image
from xmbench.metrics.captioning.rouge import ROUGEL, rouge_l, rouge_l_per_image

#: metric name -> (torchmetrics class, VERSION); "bleu" reports BLEU-1..4
CAPTION_METRICS = {
    "bleu": (BLEU, _bleu_module.VERSION),
    "rouge_l": (ROUGEL, _rouge_module.VERSION),
    "cider_d": (CIDErD, _cider_module.VERSION),
}

__all__ = [
    "BLEU",
    "CAPTION_METRICS",
    "CIDErD",
    "ROUGEL",
    "bleu",
    "bleu_from_statistics",
    "bleu_statistics",
    "cider_d",
    "cider_d_per_image",
    "rouge_l",
    "rouge_l_per_image",
]
