"""Assembling one result record of either task: its cache key, the model and metric sections, and
reading back a record a previous run wrote. The tasks (`text_to_image`, `image_to_text`) add their
protocol, metric values and samples; everything else of a record is built here, once."""

from __future__ import annotations

import datetime as _dt
import warnings
from pathlib import Path
from typing import Any

from xmbench.data.base import Suite
from xmbench.errors import CacheRepairWarning, InputError
from xmbench.metrics.attributes import ANY
from xmbench.metrics.value import MetricValue
from xmbench.results import SCHEMA, SCHEMA_VERSION, read_record
from xmbench.runner.cache import content_key
from xmbench.runner.config import RunConfig
from xmbench.runner.models import PreparedModel
from xmbench.runner.task import Task

#: bump when the way a record's numbers are computed changes outside every metric's own VERSION
#: (invalidates reused records). 2: one bootstrap convention for every metric of both tasks (replicates
#: centred on the estimate and kept), which moved caption metrics' and attribute accuracy's intervals
RECORD_FORMAT = 2
#: detail keys a metric may report that become record sections of their own (lifted out of details):
#: the judge's worst captions, and for records naming skills the counts and worst prompts per skill
RECORD_SECTIONS = ("worst_captions", "per_skill", "worst_by_skill")


def cache_key(model: PreparedModel, suite: Suite, protocol: dict[str, Any], versions: dict[str, int]) -> str:
    """A record of either task is reused when this matches: (RECORD_FORMAT, model hash and version,
    suite protocol, run protocol, requested metrics with their versions)."""
    return content_key(RECORD_FORMAT, model.model_hash, model.version, suite.protocol(), protocol, versions)


def base_record(model: PreparedModel, task: Task, env: dict[str, Any], key: str, config: RunConfig) -> dict[str, Any]:
    """Every section of a record of either task except the evaluation's (metrics, samples, timings,
    warnings and the task's extras)."""
    spec = model.spec
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "task": task.name,
        "model": {
            "name": spec.name,
            "kind": model.kind,
            "source": spec.source,
            "options": dict(spec.options),
            "calibration": model.role,
            "checkpoint_sha256": model.checkpoint_sha256,
            "model_hash": model.model_hash,
            "version": model.version,
            **model.info,
        },
        "suite": task.suite.protocol(),
        "protocol": task.protocol,
        "seeds": {
            "evaluation": config.seed,
            "sampling": task.sampling_seed,
            "training": spec.seed if model.kind == "baseline" else None,
        },
        "training": model.training,
        "environment": env,
        "run": {
            "cache_key": key,
            "config": Path(config.path).name,
            "record_format": RECORD_FORMAT,
            "metric_versions": task.versions,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        },
    }


def metric_sections(values: dict[str, MetricValue], confidence: float, headline: str) -> dict[str, Any]:
    """The record's "metrics" section, plus the sections metrics report through their details
    (RECORD_SECTIONS, e.g. the judge's worst captions) and "per_attribute" when `headline` (the task's
    judge: attribute_accuracy, caption_correctness) reports its parts as `<headline>_<attribute>` (its
    per-skill values and the share of prompts with any image right are not attributes)."""
    metrics = {name: {**v.to_dict(), "confidence": confidence} for name, v in values.items()}
    out: dict[str, Any] = {"metrics": metrics}
    for value in metrics.values():
        for section in RECORD_SECTIONS:
            if section in value["details"]:
                out[section] = value["details"].pop(section)
    parts = {
        name.removeprefix(f"{headline}_"): v["value"]
        for name, v in metrics.items()
        if name.startswith(f"{headline}_")
        and v["value"] is not None
        and "skill" not in v["details"]
        and name != f"{headline}_{ANY}"
    }
    if headline in metrics:
        whole = metrics[headline]["value"]
        out["per_attribute"] = {**parts, "whole caption": whole} if parts and whole is not None else parts
    return out


def previous_record(path: Path) -> dict[str, Any] | None:
    """The record already at `path`, or None (absent, or unreadable: then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        return read_record(path)
    except InputError as e:
        warnings.warn(f"{e}; recomputing it", CacheRepairWarning, stacklevel=1)
        return None
