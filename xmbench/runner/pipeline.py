"""The main job: for each configured model, train or reuse, generate for the fixed evaluation
captions, extract, evaluate, write its result record; then update the leaderboard and the report.

This module orchestrates; each job lives in its own module: `resolve` (config names), `models`
(train / load generators), `reference` (evaluation inputs, reference statistics), `generation`
(chunked generation + extraction + metrics of one model), `sharding` (torchrun chunk placement),
`record` (record assembly and cache keys), `publish` (leaderboard and reports).

Every step's output lives in a content-keyed cache written atomically, so a run killed at any point
(SIGINT or SIGKILL) and started again redoes only what was missing and ends with the same numbers:
- training runs: `<cache>/train/<model>-<key>/` (the baselines' resumable checkpoints);
- generated samples: chunks of `chunk` captions (config, default 250), keyed by (generator hash,
  suite, chunk captions, seed);
- extractor outputs: keyed by (extractor id, weights hash, image bytes) — generated and real alike;
- reference statistics: npz keyed by (suite, reference split and size, extractor);
- result records: reused when their `run.cache_key` (RECORD_FORMAT, generator hash and version, suite
  and run protocol, requested metrics and their versions) matches.

Under torchrun (see xmbench.distributed) chunk k of the evaluation captions (and of the reference
images) is generated and extracted by rank k % world size, which alone writes its cache entries; the
extractor outputs are gathered to rank 0 in caption order and rank 0 feeds them to one Evaluator,
exactly the batches a single process feeds, so every metric is the single-process value. Rank 0
makes every decision that reads the disk (reuse a record, the reference statistics, train or not)
and shares it; it alone writes records, leaderboard and report. Baselines train on every rank (DDP).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from xmbench import distributed as dist
from xmbench.atomic import remove_stale_temporaries
from xmbench.data.base import Suite
from xmbench.metrics.fd import ReferenceStats
from xmbench.results import record_filename, write_record
from xmbench.results.leaderboard import headline_metrics, metric_names
from xmbench.runner import resolve
from xmbench.runner.cache import TensorCache
from xmbench.runner.config import ModelSpec, RunConfig
from xmbench.runner.environment import environment, resolve_device
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.generation import evaluate_generator
from xmbench.runner.models import check_models, prepare_model
from xmbench.runner.publish import RunPaths, RunSummary, publish
from xmbench.runner.record import (
    base_record,
    cache_key,
    metric_sections,
    metric_versions,
    previous_record,
    run_protocol,
    samples_section,
)
from xmbench.runner.reference import EvaluationInputs, reference_stats
from xmbench.warning_log import seen_warnings, warning_mark


@dataclass
class _Run:
    """What every model's evaluation in one run shares."""

    config: RunConfig
    paths: RunPaths
    suite: Suite
    inputs: EvaluationInputs
    extractor: CachingExtractor
    cache: TensorCache
    metrics: list[str]
    options: dict[str, dict[str, Any]]
    protocol: dict[str, Any]
    versions: dict[str, int]
    env: dict[str, Any]
    quiet: bool
    say: Callable[[str], None]


def run(
    config: RunConfig, paths: RunPaths, quiet: bool = False, echo: Callable[[str], None] = print
) -> RunSummary | None:
    """Run `config`: one result record per model in `paths.results`, then leaderboard and report.

    Under torchrun (WORLD_SIZE > 1) this joins the process group and every rank must call it; rank 0
    returns the summary, the other ranks None (they print nothing and write only their cache entries).
    """
    if config.task == "image-to-text":
        from xmbench.runner.caption_run import run_captioning

        return run_captioning(config, paths, quiet, echo)
    t_start = time.perf_counter()
    device = dist.process_device(resolve_device(config.device))
    dist.init(device)
    r = _start(config, paths, device, quiet, echo)
    reference = reference_stats(r.inputs, r.extractor, r.cache)
    records, record_paths, reused = [], [], []
    for k, spec in enumerate(config.models, 1):
        record, path, was_reused = _model_record(r, spec, reference, f"[{k}/{len(config.models)}] {spec.name}")
        records.append(record)
        record_paths.append(path)
        if was_reused:
            reused.append(spec.name)
    summary = None
    with dist.collective("writing the leaderboard and report"):
        if dist.is_main():
            summary = publish(r.suite.name, paths, records, record_paths, reused, config.rank_by, t_start)
    return summary


def _start(config: RunConfig, paths: RunPaths, device: torch.device, quiet: bool, echo: Callable[[str], None]) -> _Run:
    """Resolve every name of `config` (failing early, before any long work) and announce the run."""
    main = dist.is_main()
    say = (lambda msg: None) if quiet or not main else echo
    quiet = quiet or not main
    suite, split = resolve.suite_and_split(config)
    metrics = resolve.metric_names(config)
    options = resolve.metric_options(config, metrics)
    check_models(config)
    cache = TensorCache(paths.cache)
    if main:  # what writers killed mid-write left behind
        remove_stale_temporaries(paths.cache)
        remove_stale_temporaries(paths.results)
    extractor = CachingExtractor(resolve.extractor(config, device), cache)
    inputs = EvaluationInputs(config, suite, split, quiet)
    env = environment(device)
    if dist.is_distributed():
        env["distributed"] = {"world_size": dist.world_size(), "backend": dist.backend()}
    if dist.is_distributed():  # the command line announced the run before loading torch
        say(f"{dist.world_size()} processes, device {device} on rank 0")
    protocol = run_protocol(config, split, inputs.captions, extractor.info)
    versions = metric_versions(metrics)  # a record is reused only if no requested metric's VERSION changed
    return _Run(config, paths, suite, inputs, extractor, cache, metrics, options, protocol, versions, env, quiet, say)


def _model_record(
    r: _Run, spec: ModelSpec, reference: ReferenceStats | None, label: str
) -> tuple[dict[str, Any], Path, bool]:
    """One model's record: reused from the results folder when its cache key matches, else evaluated
    and written (on rank 0; the other ranks get the record without its evaluation)."""
    t0, main = time.perf_counter(), dist.is_main()
    with dist.collective(f"preparing model {spec.name!r}"):
        model = prepare_model(spec, r.config, r.suite, r.paths.cache / "train", r.extractor.device, r.quiet)
    key = cache_key(model, r.suite, r.protocol, r.versions)
    record = base_record(model, r.suite, r.protocol, r.env, key, r.versions, r.config)
    path = r.paths.results / record_filename({**record, "metrics": {}})
    previous = previous_record(path) if main else None
    if dist.broadcast_json(previous is not None and previous.get("run", {}).get("cache_key") == key):
        resolve.check_rank_by(r.config, previous["metrics"])
        r.say(f"{label}: reused {path}")
        return previous, path, True
    mark = warning_mark()
    evaluated = evaluate_generator(model, r.inputs, r.extractor, r.cache, reference, r.metrics, r.options, r.quiet)
    with dist.collective(f"writing the record of model {spec.name!r}"):
        if main:
            record.update(metric_sections(evaluated.values, r.config.confidence))
            resolve.check_rank_by(r.config, record["metrics"])
            record["samples"] = samples_section(r.inputs.captions, evaluated.strip)
            record["timings"] = {
                "train_s": round(model.train_s, 3),
                "generate_s": round(evaluated.generate_s, 3),
                "evaluate_s": round(evaluated.evaluate_s, 3),
                "total_s": round(time.perf_counter() - t0, 3),
                "trained_now": model.trained_now,
            }
            record["warnings"] = seen_warnings(since=mark)
            write_record(path, record)
    if main:
        r.say(f"{label}: {_headline(record)} ({record['timings']['total_s']:.0f} s)")
    return record, path, False


def _headline(record: dict[str, Any]) -> str:
    """The record's first three headline metrics, for the progress line."""
    return ", ".join(
        f"{m} {record['metrics'][m]['value']:.4g}"
        for m in headline_metrics(metric_names([record]))[:3]
        if record["metrics"][m]["value"] is not None
    )


__all__ = ["RunPaths", "RunSummary", "run"]
