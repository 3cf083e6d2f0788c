"""The main job, one loop for every task: for each configured model, train, load or reuse it, let the
task produce and score its outputs, write its result record; then update the leaderboard and reports.

This module orchestrates; each job lives in its own module: the task (`text_to_image`,
`image_to_text`, behind the `task.Task` seam: config checks, fixed inputs, protocol, one model's
evaluation), `models` (one kind table for both tasks: train / load / hash), `record` (record
assembly and cache keys), `sharding` (torchrun chunk placement), `publish` (leaderboard and reports).

Every step's output lives in a content-keyed cache written atomically, so a run killed at any point
(SIGINT or SIGKILL) and started again redoes only what was missing and ends with the same numbers:
- training runs: `<cache>/train/<model>-<key>/` (the baselines' resumable checkpoints);
- generated samples and captions: chunks of `chunk` captions or images (config, default 250), keyed
  by (model hash, suite, chunk, seed);
- extractor outputs: keyed by (extractor id, weights hash, image bytes) — generated and real alike;
- reference statistics: npz keyed by (suite, reference split and size, extractor);
- result records: reused when their `run.cache_key` (RECORD_FORMAT, model hash and version, suite
  and run protocol, requested metrics and their versions) matches.

Under torchrun (see xmbench.distributed) chunk k of the evaluation captions (and of the reference
images) is generated and extracted by rank k % world size, which alone writes its cache entries; the
extractor outputs are gathered to rank 0 in caption order and rank 0 feeds them to one Evaluator,
exactly the batches a single process feeds, so every metric is the single-process value. Rank 0
makes every decision that reads the disk (reuse a record, the reference statistics, train or not)
and shares it; it alone writes records, leaderboard and report. Models resolve exactly as in one
process (shipped weights load on every rank); baselines asked to train train on every rank (DDP).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmbench import distributed as dist
from xmbench.atomic import remove_stale_temporaries
from xmbench.results import record_filename, write_record
from xmbench.results.leaderboard import headline_metrics, metric_names
from xmbench.runner import resolve
from xmbench.runner.cache import TensorCache
from xmbench.runner.config import ModelSpec, RunConfig
from xmbench.runner.environment import environment, resolve_device
from xmbench.runner.image_to_text import ImageToText
from xmbench.runner.models import ModelContext, check_models, prepare_model
from xmbench.runner.publish import RunPaths, RunSummary, publish
from xmbench.runner.record import base_record, cache_key, previous_record
from xmbench.runner.task import Task
from xmbench.runner.text_to_image import TextToImage
from xmbench.tasks import IMAGE_TO_TEXT, TEXT_TO_IMAGE
from xmbench.warning_log import seen_warnings, warning_mark

#: the runner's tasks by the config's [evaluation] task
TASKS: dict[str, Callable[..., Task]] = {TEXT_TO_IMAGE: TextToImage, IMAGE_TO_TEXT: ImageToText}


def run(
    config: RunConfig, paths: RunPaths, quiet: bool = False, echo: Callable[[str], None] = print
) -> RunSummary | None:
    """Run `config` (either task): one result record per model in `paths.results`, then leaderboard and reports.

    Under torchrun (WORLD_SIZE > 1) this joins the process group and every rank must call it; rank 0
    returns the summary, the other ranks None (they print nothing and write only their cache entries).
    """
    t_start = time.perf_counter()
    device = dist.process_device(resolve_device(config.device))
    dist.init(device)
    main = dist.is_main()
    say = (lambda msg: None) if quiet or not main else echo
    quiet = quiet or not main
    cache = TensorCache(paths.cache)
    task = TASKS[config.task](config, cache, device, quiet)
    models = ModelContext(config, task.suite, task.split, paths.cache / "train", device, quiet)
    check_models(models)
    if main:  # what writers killed mid-write left behind
        remove_stale_temporaries(paths.cache)
        remove_stale_temporaries(paths.results)
    task.start()
    env = environment(device)
    if dist.is_distributed():
        env["distributed"] = {"world_size": dist.world_size(), "backend": dist.backend()}
        say(f"{dist.world_size()} processes, device {device} on rank 0")
    if task.announce():
        say(task.announce())
    records, record_paths, reused = [], [], []
    for k, spec in enumerate(config.models, 1):
        label = f"[{k}/{len(config.models)}] {spec.name}"
        record, path, was_reused = _model_record(task, models, spec, env, paths, say, label)
        records.append(record)
        record_paths.append(path)
        if was_reused:
            reused.append(spec.name)
    summary = None
    with dist.collective("writing the leaderboard and report"):
        if main:
            summary = publish(
                task.suite.name, paths, records, record_paths, reused, config.rank_by, t_start, config.task
            )
    return summary


def _model_record(
    task: Task,
    models: ModelContext,
    spec: ModelSpec,
    env: dict[str, Any],
    paths: RunPaths,
    say: Callable[[str], None],
    label: str,
) -> tuple[dict[str, Any], Path, bool]:
    """One model's record: reused from the results folder when its cache key matches, else evaluated
    and written (on rank 0; the other ranks get the record without its evaluation)."""
    t0, main, config = time.perf_counter(), dist.is_main(), models.config
    with dist.collective(f"preparing model {spec.name!r}"):
        model = prepare_model(models, spec)
    key = cache_key(model, task.suite, task.protocol, task.versions)
    record = base_record(model, task, env, key, config)
    path = paths.results / record_filename({**record, "metrics": {}})
    previous = previous_record(path) if main else None
    if dist.broadcast_json(previous is not None and previous.get("run", {}).get("cache_key") == key):
        resolve.check_rank_by(config, previous["metrics"])
        say(f"{label}: reused {path}")
        return previous, path, True
    mark = warning_mark()
    evaluated = task.evaluate(model)
    with dist.collective(f"writing the record of model {spec.name!r}"):
        if main:
            record.update(evaluated.sections)
            resolve.check_rank_by(config, record["metrics"])
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
        say(f"{label}: {_headline(record)} ({record['timings']['total_s']:.0f} s)")
    return record, path, False


def _headline(record: dict[str, Any]) -> str:
    """The record's first three headline metrics, for the progress line."""
    return ", ".join(
        f"{m} {record['metrics'][m]['value']:.4g}"
        for m in headline_metrics(metric_names([record]))[:3]
        if record["metrics"][m]["value"] is not None
    )


__all__ = ["TASKS", "RunPaths", "RunSummary", "run"]
