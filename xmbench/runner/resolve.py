"""Resolving a run config's names before any long work: suite and splits, metrics and their options,
the extractor. Each problem is one InputError located at its line of the config."""

from __future__ import annotations

from typing import Any

import torch

from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.extractors import Extractor, get_extractor, list_extractors
from xmbench.metrics import list_metrics
from xmbench.metrics.cmmd import CMMD_EXTRACTOR
from xmbench.metrics.registry import check_options_of
from xmbench.registry import EXTRACTORS
from xmbench.runner.config import RunConfig, located
from xmbench.tasks import TEXT_TO_IMAGE

#: display order of metrics when the config asks for "all"
METRIC_ORDER = ("attribute_accuracy", "fd", "kid", "is", "clip_score", "r_precision", "prdc", "fd_infinity")
#: metrics "all" includes only on the extractors of their published protocol (elsewhere: ask by name);
#: memorisation on none (it compares with the whole training set: ask for it by name)
ON_REQUEST = {"cmmd": (CMMD_EXTRACTOR,), "memorisation": ()}
#: metrics that compare a prompt's images: computed only with several images per prompt
SEVERAL_IMAGES = ("prompt_diversity",)


def suite_and_split(config: RunConfig) -> tuple[Suite, str]:
    """The configured suite and its evaluation split, checking the splits exist and (text -> image) hold the
    captions asked of them; an image -> text task counts the split's images itself."""
    try:
        suite = get_suite(config.suite, **config.suite_options)
    except XmbenchError as e:
        raise located(config, "suite.name", e) from None
    split = config.split or suite.eval_split
    checks = [("evaluation.split", split, config.samples)]
    if config.task == TEXT_TO_IMAGE:
        checks.append(("evaluation.reference_split", config.reference_split, config.reference_samples))
    for key, name, count in checks:
        if name not in suite.splits:
            raise located(config, key, unknown_name(f"split of suite {suite.name!r}", name, suite.splits))
        if config.task == TEXT_TO_IMAGE and count > suite.splits[name]:
            raise located(
                config,
                key.replace("split", "samples"),
                InputError(
                    f"{count} samples asked of split {name!r}, which holds {suite.splits[name]}; lower the count"
                ),
            )
    return suite, split


def metric_names(config: RunConfig) -> list[str]:
    """The metrics to compute: the configured ones (checked), or every registered one in METRIC_ORDER that
    the run's extractor and images per prompt call for (ON_REQUEST, SEVERAL_IMAGES)."""
    known = list_metrics()
    several = config.images_per_prompt > 1
    if config.metrics is None:
        ordered = [m for m in METRIC_ORDER if m in known] + [m for m in known if m not in METRIC_ORDER]
        return [
            m
            for m in ordered
            if (m not in ON_REQUEST or config.extractor in ON_REQUEST[m]) and (m not in SEVERAL_IMAGES or several)
        ]
    for name in config.metrics:
        if name not in known and name != "fid":
            raise located(config, "evaluation.metrics", unknown_name("metric", name, known))
        if name in SEVERAL_IMAGES and not several:
            raise located(
                config,
                "evaluation.metrics",
                InputError(f"{name} compares a prompt's images: set [evaluation] images_per_prompt = 4, or drop it"),
            )
    return list(config.metrics)


def metric_options(config: RunConfig, names: list[str]) -> dict[str, dict[str, Any]]:
    """[metric_options] per metric, checked before any work: tables of metrics the run does not compute,
    option names, types and ranges, and whether each metric can be computed on the run's sample count."""
    for name in config.metric_options:
        if name not in names:
            raise located(config, f"metric_options.{name}", unknown_name("metric in [metric_options]", name, names))
    for name in names:
        where = f"metric_options.{name}" if name in config.metric_options else "evaluation.metrics"
        try:
            check_options_of("fd" if name == "fid" else name, config.metric_options.get(name, {}), config.samples)
        except InputError as e:
            raise located(config, where, e) from None
    return {k: dict(v) for k, v in config.metric_options.items()}


def check_rank_by(config: RunConfig, metrics: dict[str, Any]) -> None:
    """InputError naming the config line when `rank_by` is none of the metrics a record holds (checked on
    the first model's values, before its record is written: the leaderboard would refuse it after all the work).
    """
    if config.rank_by is not None and config.rank_by not in metrics:
        raise located(config, "evaluation.rank_by", unknown_name("metric to rank by", config.rank_by, metrics))


def extractor(config: RunConfig, device: torch.device) -> Extractor:
    """The configured extractor on `device`."""
    if config.extractor not in EXTRACTORS:  # a family's names ("clip:ARCH/PRETRAINED") included
        raise located(config, "evaluation.extractor", unknown_name("extractor", config.extractor, list_extractors()))
    return get_extractor(config.extractor, device=device, **config.extractor_options)
