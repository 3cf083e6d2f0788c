"""The text -> image task: generate images for the suite's fixed evaluation captions, extract, score.

Its fixed inputs are the first `samples` captions of the evaluation split and the reference images'
extractor outputs (`reference.EvaluationInputs`); reference statistics are computed once per run
(`reference.reference_stats`); one model's evaluation is `generation.evaluate_generator` (K images per
prompt with `images_per_prompt`), then its robustness variants (`robustness.rewrite_values`). The
training set memorisation compares with is built once per run (`training_set`).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.attributes import check_record_skills
from xmbench.metrics.fd import ReferenceStats
from xmbench.metrics.memorisation import TrainingSet
from xmbench.metrics.registry import metric_version
from xmbench.results.samples import encode_strip
from xmbench.runner import resolve, robustness, training_set
from xmbench.runner.cache import TensorCache, strings_digest
from xmbench.runner.config import RunConfig
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.generation import evaluate_generator
from xmbench.runner.models import PreparedModel
from xmbench.runner.published_stats import check_published, metrics_with_stats, read_published
from xmbench.runner.record import metric_sections
from xmbench.runner.reference import EvaluationInputs, reference_stats
from xmbench.runner.task import Evaluation
from xmbench.seeding import derive_seed
from xmbench.tasks import TEXT_TO_IMAGE


def metric_versions(names: list[str]) -> dict[str, int]:
    """Requested metric name -> its VERSION, in request order ("fid" is the "fd" metric on Inception).

    Example:
        >>> list(metric_versions(["fd", "kid"]))
        ['fd', 'kid']
    """
    return {name: metric_version("fd" if name == "fid" else name) for name in names}


def run_protocol(config: RunConfig, split: str, captions: list[str], extractor: ExtractorInfo) -> dict[str, Any]:
    """The run's evaluation protocol as recorded: split, sample counts, seeds, chunking, CI settings,
    extractor, and images per prompt when more than one (one image per prompt adds nothing: its
    protocol, and so its records' keys and board, are those of runs before the option existed)."""
    several = {"images_per_prompt": config.images_per_prompt} if config.images_per_prompt > 1 else {}
    return {
        **several,
        "split": split,
        "samples": config.samples,
        "captions_sha256": strings_digest(captions),
        "reference": {"split": config.reference_split, "samples": config.reference_samples},
        "seed": config.seed,
        "generation_seed": derive_seed(config.seed, "generation"),
        "chunk": config.chunk,
        "bootstrap": config.bootstrap,
        "confidence": config.confidence,
        "metric_options": {k: dict(v) for k, v in sorted(config.metric_options.items())},
        "extractor": {
            "id": extractor.id,
            "weights_hash": extractor.weights_hash,
            "resize": extractor.resize,
            "input_size": extractor.input_size,
            "feature_dim": extractor.feature_dim,
        },
    }


def samples_section(captions: list[str], strip: Any) -> dict[str, Any]:
    """The record's "samples": the first captions, their indices, and their images as one PNG strip."""
    n = len(strip)
    return {"captions": captions[:n], "indices": list(range(n)), "png": encode_strip(strip)}


class TextToImage:
    """The text -> image task (see `xmbench.runner.task.Task`)."""

    name = TEXT_TO_IMAGE

    def __init__(self, config: RunConfig, cache: TensorCache, device: torch.device, quiet: bool) -> None:
        self.config, self.cache, self.device, self.quiet = config, cache, device, quiet
        self.suite, self.split = resolve.suite_and_split(config)
        self.metrics = metrics_with_stats(config, resolve.metric_names(config))
        self.published = read_published(config)
        self.options = resolve.metric_options(config, self.metrics)
        self.versions = metric_versions(self.metrics)
        self.sampling_seed = derive_seed(config.seed, "generation")
        robustness.check_robustness(config, self.suite, self.metrics)
        if "memorisation" in self.metrics:
            training_set.sizes(config, self.suite)
        self.training: TrainingSet | None = None
        self.rewrites: robustness.PromptRewrites | None = None

    def start(self) -> None:
        """Load the extractor, the evaluation captions, the reference statistics and, when asked for, the
        prompts' rewrites and the training set."""
        self.extractor = CachingExtractor(resolve.extractor(self.config, self.device), self.cache)
        self.inputs = EvaluationInputs(self.config, self.suite, self.split, self.quiet)
        check_record_skills(self.inputs.records)
        self.protocol = run_protocol(self.config, self.split, self.inputs.captions, self.extractor.info)
        if self.config.robustness:
            self.rewrites = robustness.PromptRewrites(
                self.config, self.suite, self.inputs.captions, self.inputs.records
            )
            self.protocol["robustness"] = self.rewrites.protocol()
        if "memorisation" in self.metrics:
            self.training = training_set.build_training_set(self.config, self.suite, self.extractor)
        self.reference: ReferenceStats | None
        if self.published is None:
            self.reference = reference_stats(self.inputs, self.extractor, self.cache)
        else:  # published statistics: no reference image is extracted
            self.reference, self.protocol["reference"] = self.published
            check_published(self.config, self.reference, self.extractor.info)

    def announce(self) -> str | None:
        return None

    def evaluate(self, model: PreparedModel) -> Evaluation | None:
        evaluated = evaluate_generator(
            model,
            self.inputs,
            self.extractor,
            self.cache,
            self.reference,
            self.metrics,
            self.options,
            self.quiet,
            self.training,
        )
        t0, variants, variants_s = time.perf_counter(), {}, 0.0
        if self.rewrites is not None:  # every rank generates its share of each variant
            judge = evaluated.judge if evaluated is not None else None
            variants, variants_s = robustness.rewrite_values(
                model, self.inputs, self.extractor, self.cache, self.rewrites, judge, self.quiet
            )
        if evaluated is None:
            return None
        sections = metric_sections({**evaluated.values, **variants}, self.config.confidence, "attribute_accuracy")
        sections["samples"] = samples_section(self.inputs.captions, evaluated.strip)
        scored_s = time.perf_counter() - t0 - variants_s
        return Evaluation(sections, evaluated.generate_s + variants_s, evaluated.evaluate_s + scored_s)


__all__ = ["TextToImage", "metric_versions", "run_protocol", "samples_section"]
