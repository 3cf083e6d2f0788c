"""Robustness runs (`[evaluation] robustness = [...]`): each model scored again on changed inputs.

Text -> image: the evaluation prompts are rewritten by the suite's rewrite table (`Suite.rewrite`, e.g.
`xmbench.data.shapes.rewrites`), one rewrite per prompt and variant drawn from (run seed, variant,
prompt index). The model generates the rewritten prompts with the clean run's sampling seeds (the same
chunks, the same images per prompt), and the images are judged by attribute accuracy against the
ORIGINAL scene records. A prompt a variant does not apply to (clause_order of a one-object scene) is
generated unchanged and left out of that variant's score and of its clean counterpart. The `real`
calibration generator looks its images up by caption and has none for a rewritten prompt: its records
hold no robustness values.

Image -> text (`photometric`): the evaluation images get small seeded photometric changes
(`xmbench.data.photometric`), the model captions them with the clean run's seeds, and caption
correctness judges them against the images' scene records.

Both report `robustness_<variant>` and its paired drop from the clean inputs (`xmbench.metrics.robustness`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from xmbench import distributed as dist
from xmbench.data import photometric
from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.metrics.attributes import AttributeAccuracy
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.prompts import prompt_sums
from xmbench.metrics.robustness import Counts, paired_drop
from xmbench.metrics.skills import record_skills, skill_masks
from xmbench.metrics.value import MetricValue
from xmbench.runner.cache import TensorCache, strings_digest
from xmbench.runner.config import RunConfig, located
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.generation import ChunkGenerator, feed
from xmbench.runner.models import PreparedModel
from xmbench.runner.reference import EvaluationInputs
from xmbench.seeding import derive_seed
from xmbench.tasks import IMAGE_TO_TEXT, TEXT_TO_IMAGE

#: the judge whose score each task's robustness compares
JUDGES = {TEXT_TO_IMAGE: "attribute_accuracy", IMAGE_TO_TEXT: "caption_correctness"}


def check_robustness(config: RunConfig, suite: Suite, metrics: list[str]) -> None:
    """Before any work: the suite rewrites every text variant asked for, holds scene records, and the
    run computes the judge the variants are scored by (one located line naming the fix)."""
    if not config.robustness:
        return
    judge = JUDGES[config.task]
    for variant in config.robustness:
        if config.task == TEXT_TO_IMAGE and variant not in suite.rewrite_variants:
            table = (
                f"rewrites {', '.join(suite.rewrite_variants)}" if suite.rewrite_variants else "has no rewrite table"
            )
            raise located(
                config,
                "evaluation.robustness",
                InputError(f"robustness variant {variant!r}: suite {suite.name!r} {table}; drop {variant!r}"),
            )
    if not hasattr(suite, "records"):
        raise located(
            config,
            "evaluation.robustness",
            InputError(f"robustness judges against scene records, which suite {suite.name!r} has none of; drop it"),
        )
    if judge not in metrics:
        raise located(
            config,
            "evaluation.metrics",
            InputError(f"robustness scores its variants by {judge}: add {judge!r} to [evaluation] metrics"),
        )


class PromptRewrites:
    """The run's rewritten evaluation prompts: per variant, one caption per prompt (the original where
    the variant does not apply) and the mask of prompts it applies to; the prompts' skills (None each
    where the suite's records name none)."""

    def __init__(self, config: RunConfig, suite: Suite, captions: list[str], records: list[dict | None] | None) -> None:
        self.suite, self.variants = suite, config.robustness
        self.skills = record_skills(records, len(captions))
        self.captions: dict[str, list[str]] = {}
        self.applies: dict[str, np.ndarray] = {}
        for variant in self.variants:
            rewritten = [
                suite.rewrite(variant, caption, record or {}, derive_seed(config.seed, "robustness", variant, i))
                for i, (caption, record) in enumerate(zip(captions, records or [None] * len(captions), strict=True))
            ]
            self.captions[variant] = [r if r is not None else c for r, c in zip(rewritten, captions, strict=True)]
            self.applies[variant] = np.array([r is not None for r in rewritten])

    def protocol(self) -> dict[str, Any]:
        """What the record's protocol says of them (the rewrites' digest keys the record)."""
        return {
            "variants": list(self.variants),
            "rewrites_version": self.suite.rewrites_version,
            "rewrites_sha256": {v: strings_digest(self.captions[v]) for v in self.variants},
            "judge": JUDGES[TEXT_TO_IMAGE],
        }


def _prompt_counts(judge: AttributeAccuracy) -> Counts:
    """(right, judged) images per prompt, prompts in index order."""
    ok = np.array([j["correct"] for j in judge.judgements], dtype=np.float64)
    return prompt_sums(ok, judge.prompts), prompt_sums(np.ones_like(ok), judge.prompts)


def rewrite_values(
    model: PreparedModel,
    inputs: EvaluationInputs,
    extractor: CachingExtractor,
    cache: TensorCache,
    rewrites: PromptRewrites,
    clean: AttributeAccuracy | None,
    quiet: bool,
) -> tuple[dict[str, MetricValue], float]:
    """Every variant's values of one model (rank 0; {} elsewhere) and the seconds spent generating.
    `clean`: the clean run's attribute judge (rank 0). Every rank must call it."""
    config, out, seconds = inputs.config, {}, 0.0
    if model.kind == "calibration" and model.spec.source == "real":
        return out, seconds
    for variant in rewrites.variants:
        judge = Evaluator(extractor, [JUDGES[TEXT_TO_IMAGE]], seed=config.seed, bootstrap=0)
        generate = ChunkGenerator(
            model, inputs, cache, derive_seed(config.seed, "generation"), captions=rewrites.captions[variant]
        )
        feed(judge, generate, inputs, extractor.device, f"{model.spec.name} ({variant})", quiet or not dist.is_main())
        seconds += generate.seconds
        if dist.is_main() and clean is not None:
            out.update(_drops(variant, rewrites, clean, judge.metrics[JUDGES[TEXT_TO_IMAGE]], config))
    return out, seconds


def _drops(
    variant: str, rewrites: PromptRewrites, clean: AttributeAccuracy, changed: AttributeAccuracy, config: RunConfig
) -> dict[str, MetricValue]:
    """The variant's accuracy and drop over the prompts it applies to, then per skill (suites naming skills)."""
    applies = rewrites.applies[variant]
    details = {"judge": JUDGES[TEXT_TO_IMAGE], "rewrites_version": rewrites.suite.rewrites_version}
    groups = [(None, applies), *((s, applies & m) for s, m in skill_masks(rewrites.skills).items())]
    per_prompt = _prompt_counts(clean), _prompt_counts(changed)
    out = {}
    for skill, mask in groups:
        if not mask.any():  # clause_order of a skill whose prompts name one thing
            continue
        counts = [(right[mask], judged[mask]) for right, judged in per_prompt]
        for value in paired_drop(
            variant, *counts, details, config.bootstrap, config.confidence, config.seed, skill=skill
        ):
            out[value.name] = value
    return out


def perturbation(config: RunConfig) -> tuple[Any, ...] | None:
    """The photometric change of a captioning run's images, as the caption cache keys it (None without)."""
    return ("photometric", photometric.VERSION) if "photometric" in config.robustness else None


def perturb_chunk(config: RunConfig, images: torch.Tensor, start: int) -> torch.Tensor:
    """The photometric change of the images of the chunk at `start` (image i drawn from its sample position)."""
    return photometric.perturb(images, derive_seed(config.seed, "photometric"), first=start)


def photometric_values(
    clean: list[dict[str, Any]], changed: list[dict[str, Any]], config: RunConfig
) -> dict[str, MetricValue]:
    """robustness_photometric and its drop from the caption correctness judgements of the clean and the
    perturbed images' captions (`correctness.judge_captions`, one per image in order)."""
    ones = np.ones(len(clean), dtype=np.float64)
    details = {
        "judge": JUDGES[IMAGE_TO_TEXT],
        "photometric": {
            "version": photometric.VERSION,
            "brightness": photometric.BRIGHTNESS,
            "contrast": photometric.CONTRAST,
            "noise": photometric.NOISE,
        },
    }
    counts = [(np.array([j["correct"] for j in judged], dtype=np.float64), ones) for judged in (clean, changed)]
    values = paired_drop(
        "photometric", *counts, details, config.bootstrap, config.confidence, config.seed, unit="images"
    )
    return {v.name: v for v in values}


__all__ = [
    "JUDGES",
    "PromptRewrites",
    "check_robustness",
    "perturb_chunk",
    "perturbation",
    "photometric_values",
    "rewrite_values",
]
