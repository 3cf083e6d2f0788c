"""Assembling one result record: the run's protocol, the record's cache key, the model and metric
sections, and reading back a record a previous run wrote."""

from __future__ import annotations

import datetime as _dt
import warnings
from pathlib import Path
from typing import Any

from xmbench.data.base import Suite
from xmbench.errors import CacheRepairWarning, InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.registry import metric_version
from xmbench.metrics.value import MetricValue
from xmbench.results import SCHEMA, SCHEMA_VERSION, read_record
from xmbench.results.samples import encode_strip
from xmbench.runner.cache import content_key, strings_digest
from xmbench.runner.config import RunConfig
from xmbench.runner.models import PreparedModel
from xmbench.seeding import derive_seed

#: bump when the way a record's numbers are computed changes outside every metric's own VERSION
#: (invalidates reused records)
RECORD_FORMAT = 1
#: detail keys a metric may report that become record sections of their own (lifted out of details)
RECORD_SECTIONS = ("worst_captions",)


def metric_versions(names: list[str]) -> dict[str, int]:
    """Requested metric name -> its VERSION, in request order ("fid" is the "fd" metric on Inception)."""
    return {name: metric_version("fd" if name == "fid" else name) for name in names}


def run_protocol(config: RunConfig, split: str, captions: list[str], extractor: ExtractorInfo) -> dict[str, Any]:
    """The run's evaluation protocol as recorded: split, sample counts, seeds, chunking, CI settings, extractor."""
    return {
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


def cache_key(model: PreparedModel, suite: Suite, protocol: dict[str, Any], versions: dict[str, int]) -> str:
    """A record is reused when this matches: (RECORD_FORMAT, generator hash and version, suite protocol,
    run protocol, requested metrics with their versions)."""
    return content_key(RECORD_FORMAT, model.generator_hash, model.version, suite.protocol(), protocol, versions)


def base_record(
    model: PreparedModel,
    suite: Suite,
    protocol: dict[str, Any],
    env: dict[str, Any],
    key: str,
    versions: dict[str, int],
    config: RunConfig,
) -> dict[str, Any]:
    """Every section of a record except the evaluation's (metrics, samples, timings and extras)."""
    spec = model.spec
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "model": {
            "name": spec.name,
            "kind": spec.kind,
            "source": spec.source,
            "options": dict(spec.options),
            "calibration": model.role,
            "checkpoint_sha256": model.checkpoint_sha256,
            "generator_hash": model.generator_hash,
            "version": model.version,
            **model.info,
        },
        "suite": suite.protocol(),
        "protocol": protocol,
        "seeds": {
            "evaluation": config.seed,
            "generation": protocol["generation_seed"],
            "training": spec.seed if spec.kind == "baseline" else None,
        },
        "training": model.training,
        "environment": env,
        "run": {
            "cache_key": key,
            "config": Path(config.path).name,
            "record_format": RECORD_FORMAT,
            "metric_versions": versions,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        },
    }


def metric_sections(values: dict[str, MetricValue], confidence: float) -> dict[str, Any]:
    """The record's "metrics" section, plus the sections metrics report through their details
    (RECORD_SECTIONS, e.g. attribute accuracy's worst captions) and "per_attribute" when present."""
    metrics = {name: {**v.to_dict(), "confidence": confidence} for name, v in values.items()}
    out: dict[str, Any] = {"metrics": metrics}
    for value in metrics.values():
        for section in RECORD_SECTIONS:
            if section in value["details"]:
                out[section] = value["details"].pop(section)
    if "attribute_accuracy" in metrics:
        out["per_attribute"] = _per_attribute(metrics)
    return out


def _per_attribute(metrics: dict[str, dict[str, Any]]) -> dict[str, float]:
    """attribute -> accuracy from the attribute_accuracy_<attribute> values, plus "whole caption"."""
    out = {
        name.removeprefix("attribute_accuracy_"): v["value"]
        for name, v in metrics.items()
        if name.startswith("attribute_accuracy_") and v["value"] is not None
    }
    if out and metrics.get("attribute_accuracy", {}).get("value") is not None:
        out["whole caption"] = metrics["attribute_accuracy"]["value"]
    return out


def samples_section(captions: list[str], strip: Any) -> dict[str, Any]:
    """The record's "samples": the first captions, their indices, and their images as one PNG strip."""
    n = len(strip)
    return {"captions": captions[:n], "indices": list(range(n)), "png": encode_strip(strip)}


def previous_record(path: Path) -> dict[str, Any] | None:
    """The record already at `path`, or None (absent, or unreadable: then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        return read_record(path)
    except InputError as e:
        warnings.warn(f"{e}; recomputing it", CacheRepairWarning, stacklevel=1)
        return None
