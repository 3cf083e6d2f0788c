"""`xmbench run` for `[evaluation] task = "image-to-text"`: every model's record, then leaderboard and reports.

The steps of one model live in `xmbench.runner.captioning`; this module orders them, reuses records
whose cache key matches, and publishes `<suite>-captioning.md` (+ CSV) and the reports.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xmbench import distributed as dist
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import XmbenchError, unknown_name
from xmbench.extractors import get_extractor, list_extractors
from xmbench.metrics.captioning.scores import caption_metric_versions
from xmbench.results import SCHEMA, SCHEMA_VERSION, record_filename, write_record
from xmbench.results.leaderboard import headline_metrics, metric_names
from xmbench.runner.cache import TensorCache, content_key
from xmbench.runner.caption_models import prepare_captioner, record_kind
from xmbench.runner.captioning import (
    RECORD_FORMAT,
    TASK,
    JointEmbeddings,
    caption_protocol,
    evaluate_captioner,
    prepare,
)
from xmbench.runner.config import RunConfig, located
from xmbench.runner.environment import environment, resolve_device
from xmbench.runner.extract import CachingExtractor
from xmbench.runner.models import PreparedModel
from xmbench.runner.publish import publish
from xmbench.runner.record import previous_record


def _suite(config: RunConfig) -> tuple[Suite, str]:
    try:
        suite = get_suite(config.suite, **config.suite_options)
    except XmbenchError as e:
        raise located(config, "suite.name", e) from None
    split = config.split or suite.eval_split
    if split not in suite.splits:
        raise located(config, "evaluation.split", unknown_name(f"split of suite {suite.name!r}", split, suite.splits))
    return suite, split


def _record(
    model: PreparedModel, suite: Suite, protocol: dict[str, Any], env: dict[str, Any], key: str, config: RunConfig
) -> dict[str, Any]:
    spec = model.spec
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "task": TASK,
        "model": {
            "name": spec.name,
            "kind": record_kind(spec),
            "source": spec.source,
            "options": dict(spec.options),
            "calibration": model.role,
            "checkpoint_sha256": model.checkpoint_sha256,
            "captioner_hash": model.generator_hash,
            "version": model.version,
            **model.info,
        },
        "suite": suite.protocol(),
        "protocol": protocol,
        "seeds": {
            "evaluation": config.seed,
            "captioning": protocol["caption_seed"],
            "training": spec.seed if record_kind(spec) == "baseline" else None,
        },
        "training": model.training,
        "environment": env,
        "run": {
            "cache_key": key,
            "config": Path(config.path).name,
            "record_format": RECORD_FORMAT,
            "metric_versions": protocol["metric_versions"],
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        },
    }


def _headline(record: dict[str, Any]) -> str:
    names = headline_metrics(metric_names([record]))[:3]
    return ", ".join(
        f"{m} {record['metrics'][m]['value']:.4g}" for m in names if record["metrics"][m]["value"] is not None
    )


def run_captioning(config: RunConfig, paths: Any, quiet: bool = False, echo: Callable[[str], None] = print) -> Any:
    """Run an image -> text `config`: one record per model in `paths.results`, then leaderboard and reports.

    Returns the run's RunSummary on rank 0 (None on the other ranks under torchrun).
    """
    t_start = time.perf_counter()
    device = dist.process_device(resolve_device(config.device))
    dist.init(device)
    main = dist.is_main()
    say = (lambda msg: None) if quiet or not main else echo
    quiet = quiet or not main
    suite, split = _suite(config)
    if config.extractor not in list_extractors():
        raise located(config, "evaluation.extractor", unknown_name("extractor", config.extractor, list_extractors()))
    cache = TensorCache(paths.cache)
    extractor = CachingExtractor(get_extractor(config.extractor, device=device, **config.extractor_options), cache)
    inputs, names = prepare(config, suite, split, extractor)
    joint = JointEmbeddings(extractor, inputs, config.chunk)
    protocol = caption_protocol(config, inputs, extractor, names)
    env = environment(device)
    say(
        f"xmbench run ({TASK}): {len(config.models)} models on {suite.name} ({split}, {len(inputs.indices)} images), "
        f"{len(names)} caption metrics, joint encoder {extractor.info.id}, device {device}"
    )
    records, record_paths, reused = [], [], []
    for k, spec in enumerate(config.models, 1):
        t0 = time.perf_counter()
        with dist.collective(f"preparing model {spec.name!r}"):
            model = prepare_captioner(spec, config, suite, split, paths.cache / "train", device, quiet)
        key = content_key(
            RECORD_FORMAT,
            model.generator_hash,
            model.version,
            suite.protocol(),
            protocol,
            caption_metric_versions(names),
        )
        record = _record(model, suite, protocol, env, key, config)
        path = paths.results / record_filename({**record, "metrics": {}})
        previous = previous_record(path) if main else None
        if dist.broadcast_json(previous is not None and previous.get("run", {}).get("cache_key") == key):
            records.append(previous)
            record_paths.append(path)
            reused.append(spec.name)
            say(f"[{k}/{len(config.models)}] {spec.name}: reused {path}")
            continue
        part = evaluate_captioner(model, inputs, joint, cache, names, config, quiet)
        with dist.collective(f"writing the record of model {spec.name!r}"):
            if main:
                record.update({key_: v for key_, v in part.items() if key_ != "timings"})
                record["timings"] = {
                    "train_s": round(model.train_s, 3),
                    **part["timings"],
                    "total_s": round(time.perf_counter() - t0, 3),
                    "trained_now": model.trained_now,
                }
                write_record(path, record)
                seconds = record["timings"]["total_s"]
                say(f"[{k}/{len(config.models)}] {spec.name}: {_headline(record)} ({seconds:.0f} s)")
        records.append(record)
        record_paths.append(path)
    summary = None
    with dist.collective("writing the leaderboard and report"):
        if main:
            summary = publish(suite.name, paths, records, record_paths, reused, config.rank_by, t_start, TASK)
    return summary


__all__ = ["run_captioning"]
