"""Every caption metric of an image -> text evaluation, as MetricValues with bootstrap CIs over images.

`score_captions(names, data)` computes the named metrics of one captioner's captions. Captions are
PTB-tokenised once (`xmbench.text.ptb`) for the n-gram metrics. Confidence intervals are percentile
bootstraps over images (`xmbench.metrics.bootstrap`, the same resamples for every metric):

- bleu: corpus BLEU-1..4 (`bleu_1` .. `bleu_4`); a replicate re-sums the resampled images' statistics;
- rouge_l, cider_d, spice, clip_s, refclip_s: means of per-image scores (CIDEr-D's document
  frequencies stay those of the whole evaluated set);
- meteor: the jar's corpus aggregate; its CI is the per-image mean's, shifted onto the corpus value;
- diversity (vocabulary, distinct_1, distinct_2, unique, novel): recomputed on resampled captions,
  shifted onto the estimate (resampling repeats captions, which biases set statistics down);
- correctness (shapes): ratios of per-image counts (`xmbench.metrics.captioning.correctness`);
- caption_r_precision: per-image hits, candidate draws fixed.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError, unknown_name
from xmbench.metrics.bootstrap import (
    bootstrap_mean_values,
    centre_replicates,
    check_bootstrap,
    percentile_interval,
    resample_counts,
    resample_indices,
)
from xmbench.metrics.captioning import correctness as _correctness_module
from xmbench.metrics.captioning import retrieval as _retrieval_module
from xmbench.metrics.captioning.bleu import VERSION as BLEU_VERSION
from xmbench.metrics.captioning.bleu import bleu_from_statistics, bleu_statistics
from xmbench.metrics.captioning.cider import VERSION as CIDER_VERSION
from xmbench.metrics.captioning.cider import cider_d_per_image
from xmbench.metrics.captioning.clip_s import VERSION as CLIP_S_VERSION
from xmbench.metrics.captioning.clip_s import clip_s_per_image, refclip_s_per_image
from xmbench.metrics.captioning.diversity import VERSION as DIVERSITY_VERSION
from xmbench.metrics.captioning.diversity import diversity_of_tokens
from xmbench.metrics.captioning.meteor import VERSION as METEOR_VERSION
from xmbench.metrics.captioning.rouge import VERSION as ROUGE_VERSION
from xmbench.metrics.captioning.rouge import rouge_l_per_image
from xmbench.metrics.captioning.spice import VERSION as SPICE_VERSION
from xmbench.metrics.value import MetricValue
from xmbench.text.ptb import ptb_tokenize


@dataclass
class CaptionSet:
    """One captioner's captions and what the metrics compare them with.

    candidates: N generated captions; references: N non-empty lists of reference captions;
    records: shapes scene records (correctness), or None; image_embed / caption_embed: float (N,E)
    joint embeddings of the images and the candidates; reference_embed: float (sum K_i, E) embeddings
    of the references in order; groups: int64 (N,) retrieval groups; encoder: {"id", "weights_hash"}
    of the joint encoder; training_captions: for novelty.
    """

    candidates: list[str]
    references: list[list[str]]
    records: list[dict[str, Any]] | None = None
    image_embed: torch.Tensor | None = None
    caption_embed: torch.Tensor | None = None
    reference_embed: torch.Tensor | None = None
    groups: torch.Tensor | None = None
    encoder: dict[str, str] = field(default_factory=dict)
    training_captions: list[str] | None = None
    judgements: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Bootstrap:
    """resamples (0: no CI), confidence in (0, 1), seed."""

    resamples: int = 200
    confidence: float = 0.95
    seed: int = 0

    def counts(self, n: int) -> torch.Tensor:
        """(resamples, n) float64 resample counts (the same draws for every metric)."""
        return resample_counts(n, self.resamples, self.seed)

    def interval(self, replicates: np.ndarray | torch.Tensor) -> tuple[float | None, float | None]:
        if self.resamples == 0:
            return None, None
        return percentile_interval(replicates, self.confidence)


@functools.lru_cache(maxsize=1 << 16)
def _ptb(caption: str) -> str:
    """PTB tokens joined by spaces (cached: references are tokenised once per run, not once per model)."""
    return " ".join(ptb_tokenize(caption))


def _tokens(captions: list[str]) -> list[str]:
    return [_ptb(c) for c in captions]


def _mean_value(name: str, per_image: torch.Tensor, boot: Bootstrap, details: dict[str, Any]) -> MetricValue:
    per_image = per_image.double().cpu()
    lo = hi = None
    if boot.resamples:
        lo, hi = boot.interval(bootstrap_mean_values(per_image, boot.resamples, boot.seed))
    details = {**details, "bootstrap": "images resampled with replacement, percentile"}
    return MetricValue(name, float(per_image.mean()), lo, hi, None, per_image.shape[0], True, details)


def _bleu(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    stats = bleu_statistics(tokens[0], tokens[1], tokenize=False)
    value = bleu_from_statistics(stats.sum(0))
    replicates = bleu_from_statistics(boot.counts(len(stats)) @ stats) if boot.resamples else None
    details = {
        "protocol": "pycocoevalcap corpus BLEU, closest reference length",
        "tokenizer": "ptb",
        "version": BLEU_VERSION,
        "bootstrap": "images resampled, statistics re-summed, percentile",
    }
    out = []
    for k in range(value.shape[0]):
        lo, hi = boot.interval(replicates[:, k]) if replicates is not None else (None, None)
        out.append(MetricValue(f"bleu_{k + 1}", float(value[k]), lo, hi, None, len(stats), True, dict(details)))
    return out


def _rouge(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    per_image = rouge_l_per_image(tokens[0], tokens[1], tokenize=False)
    return [
        _mean_value(
            "rouge_l",
            per_image,
            boot,
            {"protocol": "pycocoevalcap ROUGE-L F, beta 1.2", "tokenizer": "ptb", "version": ROUGE_VERSION},
        )
    ]


def _cider(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    per_image = cider_d_per_image(tokens[0], tokens[1], tokenize=False)
    details = {
        "protocol": "pycocoevalcap CIDEr-D, sigma 6, x10, document frequencies from the evaluated references",
        "tokenizer": "ptb",
        "version": CIDER_VERSION,
    }
    return [_mean_value("cider_d", per_image, boot, details)]


def _correctness(data: CaptionSet, boot: Bootstrap, tokens: Any) -> list[MetricValue]:
    if data.records is None:
        raise InputError("caption correctness needs the scene records of a shapes suite; drop it for other suites")
    data.judgements = _correctness_module.judge_captions(data.candidates, data.records)
    return _correctness_module.correctness_values(data.judgements, boot.resamples, boot.confidence, boot.seed)


def _retrieval(data: CaptionSet, boot: Bootstrap, tokens: Any, candidates: int = 100, folds: int = 10) -> list:
    if data.caption_embed is None or data.image_embed is None or data.groups is None:
        raise InputError("caption_r_precision needs a joint image-text extractor (shapes-v1 or clip-vit-b-32)")
    value = _retrieval_module.caption_r_precision(
        data.caption_embed,
        data.image_embed,
        data.groups,
        data.encoder.get("id", "?"),
        data.encoder.get("weights_hash", "?"),
        candidates=candidates,
        folds=folds,
        seed=boot.seed,
        resamples=boot.resamples,
        confidence=boot.confidence,
    )
    return [value]


def _per_image_then_corpus(
    name: str, corpus: float, per_image: torch.Tensor, boot: Bootstrap, details: dict[str, Any]
) -> MetricValue:
    """A corpus value whose CI comes from the per-image scores' mean, shifted onto the corpus value."""
    per_image = per_image.double().cpu()
    lo = hi = None
    if boot.resamples and torch.isfinite(per_image).all():
        replicates = bootstrap_mean_values(per_image, boot.resamples, boot.seed)
        lo, hi = boot.interval(centre_replicates(replicates, corpus, 0.0, 1.0))
    scheme = "images resampled; the per-image mean's replicates shifted onto the corpus value, percentile"
    return MetricValue(name, corpus, lo, hi, None, per_image.shape[0], True, {**details, "bootstrap": scheme})


def _meteor(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    # looked up at call time (the package re-exports a function of the module's name)
    corpus, per_image = importlib.import_module("xmbench.metrics.captioning.meteor").meteor(
        tokens[0], tokens[1], tokenize=False
    )
    details = {
        "protocol": "pycocoevalcap METEOR 1.5 jar (-l en -norm), corpus aggregate",
        "tokenizer": "ptb",
        "version": METEOR_VERSION,
    }
    return [_per_image_then_corpus("meteor", corpus, per_image, boot, details)]


def _spice(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    _, per_image = importlib.import_module("xmbench.metrics.captioning.spice").spice(
        tokens[0], tokens[1], tokenize=False
    )
    details = {"protocol": "pycocoevalcap SPICE jar, mean F-score over images", "version": SPICE_VERSION}
    return [_mean_value("spice", per_image, boot, details)]


def _embeddings(data: CaptionSet, metric: str) -> tuple[torch.Tensor, torch.Tensor]:
    if data.caption_embed is None or data.image_embed is None:
        raise InputError(f"{metric} needs a joint image-text extractor (shapes-v1 or clip-vit-b-32)")
    return data.image_embed, data.caption_embed


def _clip_s(data: CaptionSet, boot: Bootstrap, tokens: Any) -> list[MetricValue]:
    per_image = clip_s_per_image(*_embeddings(data, "clip_s"))
    details = {
        "protocol": "Hessel et al. 2021: 2.5 max(cos, 0)",
        "encoder": data.encoder.get("id"),
        "prefix": data.encoder.get("prefix", ""),
        "version": CLIP_S_VERSION,
    }
    return [_mean_value("clip_s", per_image, boot, details)]


def _refclip_s(data: CaptionSet, boot: Bootstrap, tokens: Any) -> list[MetricValue]:
    image_embed, caption_embed = _embeddings(data, "refclip_s")
    if data.reference_embed is None:
        raise InputError("refclip_s needs the references' embeddings from the joint extractor")
    counts = [len(r) for r in data.references]
    per_image = refclip_s_per_image(image_embed, caption_embed, data.reference_embed, counts)
    details = {
        "protocol": "Hessel et al. 2021: harmonic mean of CLIP-S and the best reference cosine",
        "encoder": data.encoder.get("id"),
        "prefix": data.encoder.get("prefix", ""),
        "version": CLIP_S_VERSION,
    }
    return [_mean_value("refclip_s", per_image, boot, details)]


def _diversity(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    captions = [tuple(t.split()) for t in tokens[0]]
    training = None
    if data.training_captions is not None:
        training = frozenset(tuple(_ptb(c).split()) for c in data.training_captions)
    values = diversity_of_tokens(captions, training)
    replicates: dict[str, list[float]] = {k: [] for k in values}
    if boot.resamples:
        for idx in resample_indices(len(captions), boot.resamples, boot.seed):
            for k, v in diversity_of_tokens([captions[i] for i in idx], training).items():
                replicates[k].append(v)
    out = []
    for k, v in values.items():
        lo = hi = None
        if boot.resamples:
            upper = None if k == "vocabulary" else 1.0
            lo, hi = boot.interval(centre_replicates(np.array(replicates[k]), v, 0.0, upper))
        details = {
            "version": DIVERSITY_VERSION,
            "tokenizer": "ptb",
            "unit": "tokens" if k == "vocabulary" else "fraction",
            "bootstrap": "captions resampled, recomputed, shifted onto the estimate, percentile",
        }
        out.append(MetricValue(k, v, lo, hi, None, len(captions), True, details))
    return out


@dataclass(frozen=True)
class Scorer:
    """One caption metric: fn(data, boot, tokens, **options) -> MetricValues; whether it reads PTB tokens;
    a one-line summary; its VERSION (records are reused only while every requested VERSION holds)."""

    fn: Callable[..., list[MetricValue]]
    tokens: bool
    summary: str
    version: int


SCORERS: dict[str, Scorer] = {
    "bleu": Scorer(_bleu, True, "BLEU-1..4 as pycocoevalcap (bleu_1 .. bleu_4)", BLEU_VERSION),
    "rouge_l": Scorer(_rouge, True, "ROUGE-L F (beta 1.2) as pycocoevalcap", ROUGE_VERSION),
    "cider_d": Scorer(_cider, True, "CIDEr-D (sigma 6, x10) as pycocoevalcap", CIDER_VERSION),
    "meteor": Scorer(_meteor, True, "METEOR 1.5 through pycocoevalcap's jar (needs Java)", METEOR_VERSION),
    "spice": Scorer(_spice, True, "SPICE through pycocoevalcap's jar (Java and Stanford CoreNLP)", SPICE_VERSION),
    "clip_s": Scorer(_clip_s, False, "CLIP-S (Hessel et al. 2021) with the joint encoder", CLIP_S_VERSION),
    "refclip_s": Scorer(_refclip_s, False, "RefCLIP-S (Hessel et al. 2021) with the joint encoder", CLIP_S_VERSION),
    "diversity": Scorer(_diversity, True, "vocabulary, distinct-1/2, unique and novel shares", DIVERSITY_VERSION),
    "caption_correctness": Scorer(
        _correctness, False, "exact correctness against the shapes scene (with its parts)", _correctness_module.VERSION
    ),
    "caption_r_precision": Scorer(
        _retrieval, False, "caption -> image R-precision with the joint encoder", _retrieval_module.VERSION
    ),
}


def caption_metric_versions(names: list[str]) -> dict[str, int]:
    """name -> VERSION of each caption metric in `names`."""
    return {n: SCORERS[n].version for n in names}


def _check_options(name: str, options: dict[str, Any]) -> None:
    if name not in SCORERS:
        raise unknown_name("caption metric in the options", name, SCORERS)
    takes = list(inspect.signature(SCORERS[name].fn).parameters)[3:]
    for option in options:
        if option not in takes:
            raise InputError(
                f"caption metric {name!r} takes no option {option!r}; it takes: {', '.join(takes) or 'none'}"
            )


def score_captions(
    names: list[str], data: CaptionSet, boot: Bootstrap | None = None, options: dict[str, dict] | None = None
) -> dict[str, MetricValue]:
    """Compute metrics `names` (keys of SCORERS) of `data`; name -> MetricValue (a name may give several).

    Example:
        >>> data = CaptionSet(["a red circle", "a blue square"], [["a red circle"], ["a blue box"]])
        >>> v = score_captions(["rouge_l"], data, Bootstrap(resamples=0))
        >>> round(v["rouge_l"].value, 4)
        0.8333
    """
    boot = boot or Bootstrap()
    check_bootstrap(boot.resamples, boot.confidence)
    options = options or {}
    unknown = [n for n in names if n not in SCORERS]
    if unknown:
        raise unknown_name("caption metric", unknown[0], SCORERS)
    for name, opts in options.items():
        _check_options(name, opts)
    if len(data.candidates) != len(data.references) or not data.candidates:
        raise InputError(f"got {len(data.candidates)} captions for {len(data.references)} reference lists")
    tokens = None
    if any(SCORERS[n].tokens for n in names):
        tokens = (_tokens(data.candidates), [_tokens(r) for r in data.references])
    out: dict[str, MetricValue] = {}
    for name in names:
        for value in SCORERS[name].fn(data, boot, tokens, **options.get(name, {})):
            out[value.name] = value
    return out
