"""Scoring one captioner's captions: every registered caption metric as MetricValues with bootstrap CIs.

`score_captions(names, data)` computes the named metrics (entries of `xmbench.registry.CAPTION_METRICS`,
built-ins and entry-point plugins alike) of one captioner's captions. Captions are PTB-tokenised once
(`xmbench.text.ptb`) for the n-gram metrics, which are fed through their torchmetrics classes. Every
value carries the bootstrap CI convention of every xmbench metric (`xmbench.metrics.bootstrap.bootstrap_value`:
images resampled with replacement, the same draws for every metric, replicates centred on the
estimate, clipped to the metric's range and kept, so `xmbench check` runs its paired test):

- bleu: corpus BLEU-1..4 (`bleu_1` .. `bleu_4`); a replicate re-sums the resampled images' statistics;
- rouge_l, cider_d, spice, clip_s, refclip_s: means of per-image scores (CIDEr-D's document
  frequencies stay those of the whole evaluated set);
- meteor: the jar's corpus aggregate; replicates are the per-image mean's;
- diversity (vocabulary, distinct_1, distinct_2, unique, novel): recomputed on resampled captions;
- correctness (shapes): ratios of per-image counts (`xmbench.metrics.captioning.correctness`);
- caption_r_precision: per-image hits, candidate draws fixed.

A metric's scorer is `score(data: CaptionSet, boot: Bootstrap, tokens, **options) -> list[MetricValue]`,
`tokens` being (PTB-tokenised candidates, references) when the metric reads tokens, else None.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from xmbench.errors import InputError, unknown_name
from xmbench.metrics.bootstrap import (
    bootstrap_mean_values,
    bootstrap_value,
    check_bootstrap,
    resample_counts,
    resample_indices,
)
from xmbench.metrics.captioning import correctness as _correctness_module
from xmbench.metrics.captioning import retrieval as _retrieval_module
from xmbench.metrics.captioning.bleu import BLEU, bleu_from_statistics
from xmbench.metrics.captioning.cider import CIDErD
from xmbench.metrics.captioning.clip_s import CLIPS, RefCLIPS
from xmbench.metrics.captioning.diversity import diversity_of_tokens
from xmbench.metrics.captioning.rouge import ROUGEL
from xmbench.metrics.defaults import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from xmbench.metrics.options import check_metric_options
from xmbench.metrics.value import MetricValue
from xmbench.registry import CAPTION_METRICS
from xmbench.text.ptb import ptb_tokenize

if TYPE_CHECKING:  # the registry imports this module
    from xmbench.metrics.captioning.registry import CaptionMetric


def _no_process_group() -> bool:
    return False


#: the scorers hold every caption of the evaluation in one process: their Metric states are complete,
#: and a torchmetrics sync under torchrun (rank 0 scores alone) would wait forever for the other ranks
LOCAL: dict[str, Any] = {"distributed_available_fn": _no_process_group}


@dataclass
class CaptionSet:
    """One captioner's captions and what the metrics compare them with.

    candidates: N generated captions; references: N non-empty lists of reference captions;
    records: shapes scene records (correctness), or None; image_embed / text_embed: float (N,E)
    joint embeddings of the images and of the candidates; reference_embed: float (sum K_i, E)
    embeddings of the references in order; groups: int64 (N,) retrieval groups; encoder: {"id",
    "weights_hash", "prefix"} of the joint encoder; training_captions: for novelty.
    """

    candidates: list[str]
    references: list[list[str]]
    records: list[dict[str, Any]] | None = None
    image_embed: torch.Tensor | None = None
    text_embed: torch.Tensor | None = None
    reference_embed: torch.Tensor | None = None
    groups: torch.Tensor | None = None
    encoder: dict[str, str] = field(default_factory=dict)
    training_captions: list[str] | None = None
    judgements: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Bootstrap:
    """The CI settings of a scoring: resamples (0: no CI), confidence in (0, 1), seed (defaults:
    `xmbench.metrics.defaults`)."""

    resamples: int = DEFAULT_RESAMPLES
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED

    def mean_replicates(self, per_image: torch.Tensor) -> np.ndarray | None:
        """(resamples,) replicates of the mean of per-image scores (None without resamples)."""
        return bootstrap_mean_values(per_image, self.resamples, self.seed) if self.resamples else None

    def value(
        self,
        name: str,
        value: float,
        n: int,
        details: dict[str, Any],
        replicates: np.ndarray | torch.Tensor | None,
        bounds: tuple[float | None, float | None],
        scheme: str = "images resampled with replacement",
    ) -> MetricValue:
        """A higher-is-better MetricValue with this bootstrap's CI (see `bootstrap_value`)."""
        return bootstrap_value(name, value, n, True, details, replicates, self.confidence, scheme=scheme, bounds=bounds)


@functools.lru_cache(maxsize=1 << 16)
def _ptb(caption: str) -> str:
    """PTB tokens joined by spaces (cached: references are tokenised once per run, not once per model)."""
    return " ".join(ptb_tokenize(caption))


def _tokens(captions: list[str]) -> list[str]:
    return [_ptb(c) for c in captions]


def _mean_value(
    name: str, value: float, per_image: torch.Tensor, boot: Bootstrap, details: dict[str, Any], upper: float | None
) -> MetricValue:
    per_image = per_image.double().cpu()
    return boot.value(name, value, per_image.shape[0], details, boot.mean_replicates(per_image), (0.0, upper))


def _bleu(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    metric = BLEU(tokenize=False, per_image=True, **LOCAL)
    metric.update(tokens[0], tokens[1])
    value, stats = metric.compute(), metric.per_image_statistics()
    counts = resample_counts(len(stats), boot.resamples, boot.seed) if boot.resamples else None
    replicates = None if counts is None else bleu_from_statistics(counts @ stats)
    details = {"protocol": "pycocoevalcap corpus BLEU, closest reference length", "tokenizer": "ptb"}
    return [
        boot.value(
            f"bleu_{k + 1}",
            float(value[k]),
            len(stats),
            dict(details),
            None if replicates is None else replicates[:, k],
            (0.0, 1.0),
            "images resampled, statistics re-summed",
        )
        for k in range(value.shape[0])
    ]


def _rouge(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    metric = ROUGEL(tokenize=False, per_image=True, **LOCAL)
    metric.update(tokens[0], tokens[1])
    details = {"protocol": "pycocoevalcap ROUGE-L F, beta 1.2", "tokenizer": "ptb"}
    return [_mean_value("rouge_l", float(metric.compute()), metric.per_image_scores(), boot, details, 1.0)]


def _cider(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    metric = CIDErD(tokenize=False, **LOCAL)
    metric.update(tokens[0], tokens[1])
    details = {
        "protocol": "pycocoevalcap CIDEr-D, sigma 6, x10, document frequencies from the evaluated references",
        "tokenizer": "ptb",
    }
    return [_mean_value("cider_d", float(metric.compute()), metric.per_image_scores(), boot, details, None)]


def _correctness(data: CaptionSet, boot: Bootstrap, tokens: Any) -> list[MetricValue]:
    if data.records is None:
        raise InputError("caption correctness needs the scene records of a shapes suite; drop it for other suites")
    data.judgements = _correctness_module.judge_captions(data.candidates, data.records)
    return _correctness_module.correctness_values(data.judgements, boot.resamples, boot.confidence, boot.seed)


def _retrieval(data: CaptionSet, boot: Bootstrap, tokens: Any, candidates: int = 100, folds: int = 10) -> list:
    image_embed, text_embed = _embeddings(data, "caption_r_precision")
    if data.groups is None:
        raise InputError("caption_r_precision needs the images' retrieval groups")
    value = _retrieval_module.caption_r_precision(
        text_embed,
        image_embed,
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


def _meteor(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    # looked up at call time (the package re-exports a function of the module's name)
    corpus, per_image = importlib.import_module("xmbench.metrics.captioning.meteor").meteor(
        tokens[0], tokens[1], tokenize=False
    )
    details = {"protocol": "pycocoevalcap METEOR 1.5 jar (-l en -norm), corpus aggregate", "tokenizer": "ptb"}
    per_image = per_image.double().cpu()
    replicates = boot.mean_replicates(per_image) if torch.isfinite(per_image).all() else None
    scheme = "images resampled; the per-image mean's replicates, centred on the corpus value"
    return [boot.value("meteor", corpus, per_image.shape[0], details, replicates, (0.0, 1.0), scheme)]


def _spice(data: CaptionSet, boot: Bootstrap, tokens: tuple[list[str], list[list[str]]]) -> list[MetricValue]:
    _, per_image = importlib.import_module("xmbench.metrics.captioning.spice").spice(
        tokens[0], tokens[1], tokenize=False
    )
    details = {"protocol": "pycocoevalcap SPICE jar, mean F-score over images"}
    return [_mean_value("spice", float(per_image.double().mean()), per_image, boot, details, 1.0)]


def _embeddings(data: CaptionSet, metric: str) -> tuple[torch.Tensor, torch.Tensor]:
    if data.text_embed is None or data.image_embed is None:
        raise InputError(f"{metric} needs a joint image-text extractor (shapes-v1 or clip-vit-b-32)")
    return data.image_embed, data.text_embed


def _clip_details(data: CaptionSet, protocol: str) -> dict[str, Any]:
    return {"protocol": protocol, "encoder": data.encoder.get("id"), "prefix": data.encoder.get("prefix", "")}


def _clip_s(data: CaptionSet, boot: Bootstrap, tokens: Any) -> list[MetricValue]:
    metric = CLIPS(per_image=True, **LOCAL)
    metric.update(*_embeddings(data, "clip_s"))
    details = _clip_details(data, "Hessel et al. 2021: 2.5 max(cos, 0)")
    return [_mean_value("clip_s", float(metric.compute()), metric.per_image_scores(), boot, details, 2.5)]


def _refclip_s(data: CaptionSet, boot: Bootstrap, tokens: Any) -> list[MetricValue]:
    image_embed, text_embed = _embeddings(data, "refclip_s")
    if data.reference_embed is None:
        raise InputError("refclip_s needs the references' embeddings from the joint extractor")
    metric = RefCLIPS(per_image=True, **LOCAL)
    metric.update(image_embed, text_embed, data.reference_embed, [len(r) for r in data.references])
    details = _clip_details(data, "Hessel et al. 2021: harmonic mean of CLIP-S and the best reference cosine")
    return [_mean_value("refclip_s", float(metric.compute()), metric.per_image_scores(), boot, details, 2.5)]


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
        details = {"tokenizer": "ptb", "unit": "tokens" if k == "vocabulary" else "fraction"}
        bounds = (0.0, None if k == "vocabulary" else 1.0)
        reps = np.array(replicates[k]) if boot.resamples else None
        out.append(boot.value(k, v, len(captions), details, reps, bounds, "captions resampled, recomputed"))
    return out


def caption_metric_versions(names: list[str]) -> dict[str, int]:
    """name -> VERSION of each caption metric in `names`.

    Example:
        >>> caption_metric_versions(["bleu"])
        {'bleu': 1}
    """
    return {n: CAPTION_METRICS.get(n).version for n in names}


def check_caption_options(options: Mapping[str, Mapping[str, Any]], names: list[str] | None = None) -> None:
    """InputError (one line) for options of a caption metric not in `names` (when given), options a metric
    does not declare, or values of the wrong type or range (the metric's `options` schema).

    Example:
        >>> check_caption_options({"caption_r_precision": {"candidates": 1}})
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: option 'candidates' of metric 'caption_r_precision' must be at least 2, got 1
    """
    for name, given in options.items():
        if names is not None and name not in names:
            raise unknown_name("caption metric in [metric_options]", name, names)
        check_metric_options(name, CAPTION_METRICS.get(name).options, given)


def score_captions(
    names: list[str], data: CaptionSet, boot: Bootstrap | None = None, options: Mapping[str, dict] | None = None
) -> dict[str, MetricValue]:
    """Compute caption metrics `names` (names in CAPTION_METRICS) of `data`; name -> MetricValue (a name may give
    several, e.g. bleu_1 .. bleu_4).

    Example:
        >>> data = CaptionSet(["a red circle", "a blue square"], [["a red circle"], ["a blue box"]])
        >>> v = score_captions(["rouge_l"], data, Bootstrap(resamples=0))
        >>> round(v["rouge_l"].value, 4)
        0.8333
    """
    boot = boot or Bootstrap()
    check_bootstrap(boot.resamples, boot.confidence)
    options = options or {}
    unknown = [n for n in names if n not in CAPTION_METRICS]
    if unknown:
        raise unknown_name("caption metric", unknown[0], CAPTION_METRICS.names())
    check_caption_options(options)
    if len(data.candidates) != len(data.references) or not data.candidates:
        raise InputError(f"got {len(data.candidates)} captions for {len(data.references)} reference lists")
    metrics = [CAPTION_METRICS.get(n) for n in names]
    tokens = None
    if any(m.tokens for m in metrics):
        tokens = (_tokens(data.candidates), [_tokens(r) for r in data.references])
    # the Java metrics compute in their jar's process: one thread waits on it while this one scores the rest
    java = [m for m in metrics if "java" in m.needs]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = {m.name: pool.submit(_score_one, m, data, boot, tokens, options) for m in java}
        scored = {m.name: _score_one(m, data, boot, tokens, options) for m in metrics if m.name not in pending}
        scored.update({name: future.result() for name, future in pending.items()})
    return {value.name: value for metric in metrics for value in scored[metric.name]}


def _score_one(
    metric: CaptionMetric, data: CaptionSet, boot: Bootstrap, tokens: Any, options: Mapping[str, dict]
) -> list[MetricValue]:
    """One metric's values, its version in their details; a `bootstrap` option overrides the resamples."""
    opts = dict(options.get(metric.name, {}))
    own = replace(boot, resamples=opts.pop("bootstrap")) if "bootstrap" in opts else boot
    values = metric.score(data, own, tokens, **opts)
    for value in values:
        value.details = {**value.details, "version": metric.version}
    return values


__all__ = ["Bootstrap", "CaptionSet", "caption_metric_versions", "check_caption_options", "score_captions"]
