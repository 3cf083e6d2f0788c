"""The result record schema: one JSON object per (model, suite, protocol) evaluation.

Records are the single source of truth for leaderboards, reports and the regression check, so every
reader validates them first: a corrupt or foreign file is refused with one line naming it.
See docs/results.md for the field-by-field description.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from xmbench.errors import InputError
from xmbench.tasks import CALIBRATION_ROLES, MODEL_KINDS, TASKS

#: identifies an xmbench result record
SCHEMA = "xmbench.result"
#: bump when a field changes meaning or a required field is added (and teach `upgrade_record` the old one)
SCHEMA_VERSION = 2

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema": str,
    "schema_version": int,
    "model": dict,
    "suite": dict,
    "protocol": dict,
    "metrics": dict,
    "seeds": dict,
    "environment": dict,
    "timings": dict,
}
_MODEL_REQUIRED = {"name": str, "kind": str}
_METRIC_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "value": (int, float, type(None)),
    "ci_low": (int, float, type(None)),
    "ci_high": (int, float, type(None)),
    "n": int,
    "higher_is_better": bool,
}


def upgrade_record(obj: dict[str, Any]) -> dict[str, Any]:
    """A record of an older schema version rewritten in this version's field names (a new dict).

    Version 1 named the model's identity and the outputs' seed per task (`generator_hash` /
    `captioner_hash`, seeds `generation` / `captioning`, timings `caption_s`), and left `task` and
    `warnings` out of some records; version 2 uses one name for each in both tasks.

    Example:
        >>> old = {"schema_version": 1, "model": {"captioner_hash": "ab"}, "seeds": {"captioning": 7},
        ...        "timings": {"caption_s": 1.0}, "task": "image-to-text"}
        >>> new = upgrade_record(old)
        >>> new["model"]["model_hash"], new["seeds"]["sampling"], new["timings"]["generate_s"], new["warnings"]
        ('ab', 7, 1.0, [])
    """
    if obj.get("schema_version") != 1:
        return obj
    out = {**obj, "schema_version": SCHEMA_VERSION}
    out.setdefault("task", TASKS[0])
    out.setdefault("warnings", [])
    renames = {
        "model": {"generator_hash": "model_hash", "captioner_hash": "model_hash"},
        "seeds": {"generation": "sampling", "captioning": "sampling"},
        "timings": {"caption_s": "generate_s"},
    }
    for section, names in renames.items():
        if isinstance(out.get(section), dict):
            out[section] = {names.get(k, k): v for k, v in out[section].items()}
    return out


def validate_record(obj: Any, source: str) -> dict[str, Any]:
    """Check that `obj` is a result record of this schema version (or an older one it upgrades, see
    `upgrade_record`); returns it in this version's field names.

    Raises InputError with one line naming `source` and the first problem found.
    """
    if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
        raise InputError(
            f'{source} is not an xmbench result record (no "schema": "{SCHEMA}"); pass records written by `xmbench run`'
        )
    obj = upgrade_record(obj)
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{source} has result schema version {version!r}; this xmbench reads versions 1 to "
            f"{SCHEMA_VERSION}: re-run `xmbench run` to rewrite it"
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(obj.get(key), kind):
            raise InputError(
                f"{source}: field {key!r} is missing or not a {_type_name(kind)}; the record is "
                "damaged, re-run `xmbench run` to rewrite it"
            )
    _validate_model(obj["model"], source)
    if obj.get("task", TASKS[0]) not in TASKS:
        raise InputError(f"{source}: task {obj.get('task')!r} is not one of {', '.join(TASKS)}")
    if not isinstance(obj["suite"].get("suite"), str):
        raise InputError(f"{source}: field 'suite.suite' (the suite name) is missing; the record is damaged")
    if not obj["metrics"]:
        raise InputError(f"{source}: the record holds no metric values")
    for name, metric in obj["metrics"].items():
        _validate_metric(name, metric, source)
    for check in (_validate_samples, _validate_worst, _validate_extras):
        check(obj, source)
    return obj


def _validate_model(model: dict[str, Any], source: str) -> None:
    for key, kind in _MODEL_REQUIRED.items():
        if not isinstance(model.get(key), kind) or not model.get(key):
            raise InputError(f"{source}: field 'model.{key}' is missing; the record is damaged")
    if model["kind"] not in MODEL_KINDS:
        raise InputError(f"{source}: model.kind {model['kind']!r} is not one of {', '.join(MODEL_KINDS)}")
    role = model.get("calibration")
    if role is not None and role not in CALIBRATION_ROLES:
        raise InputError(f"{source}: model.calibration {role!r} is not one of {', '.join(CALIBRATION_ROLES)}")


def _damaged(source: str, field: str, want: str) -> InputError:
    return InputError(f"{source}: field {field!r} is not {want}; the record is damaged, re-run `xmbench run`")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _validate_samples(obj: dict[str, Any], source: str) -> None:
    samples = obj.get("samples")
    if samples is None:
        return
    if not isinstance(samples, dict):
        raise _damaged(source, "samples", "an object")
    if not isinstance(samples.get("png"), str):
        raise _damaged(source, "samples.png", "a base64 PNG string")
    captions = samples.get("captions")
    if not isinstance(captions, list) or not captions or not all(isinstance(c, str) for c in captions):
        raise _damaged(source, "samples.captions", "a non-empty list of strings")
    references = samples.get("references", [])
    if not isinstance(references, list) or not all(isinstance(c, str) for c in references):
        raise _damaged(source, "samples.references", "a list of strings")
    indices = samples.get("indices", [])
    if not isinstance(indices, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in indices):
        raise _damaged(source, "samples.indices", "a list of whole numbers")


def _validate_worst_rows(worst: Any, source: str, field: str) -> None:
    if not isinstance(worst, list):
        raise _damaged(source, field, "a list")
    for k, row in enumerate(worst):
        ok = isinstance(row, dict) and isinstance(row.get("caption"), str) and _is_number(row.get("score"))
        if not ok or not isinstance(row.get("note", ""), str):
            raise _damaged(source, f"{field}[{k}]", "an object with a string caption, a number score")


def _validate_worst(obj: dict[str, Any], source: str) -> None:
    """worst_captions, and per skill: worst_by_skill and the per_skill counts."""
    if obj.get("worst_captions") is not None:
        _validate_worst_rows(obj["worst_captions"], source, "worst_captions")
    by_skill = obj.get("worst_by_skill")
    if by_skill is not None:
        if not isinstance(by_skill, dict):
            raise _damaged(source, "worst_by_skill", "an object")
        for skill, rows in by_skill.items():
            _validate_worst_rows(rows, source, f"worst_by_skill.{skill}")
    per_skill = obj.get("per_skill")
    if per_skill is not None and not (
        isinstance(per_skill, dict)
        and all(isinstance(v, dict) and _is_number(v.get("accuracy")) for v in per_skill.values())
    ):
        raise _damaged(source, "per_skill", "an object of {accuracy, right, images, prompts} objects")


def _validate_extras(obj: dict[str, Any], source: str) -> None:
    """per_attribute, training curves, environment, timings and the confidence level."""
    per_attribute = obj.get("per_attribute")
    if per_attribute is not None and not (
        isinstance(per_attribute, dict) and all(_is_number(v) for v in per_attribute.values())
    ):
        raise _damaged(source, "per_attribute", "an object of numbers")
    training = obj.get("training")
    if training is not None and not isinstance(training, dict):
        raise _damaged(source, "training", "an object")
    curves = (training or {}).get("curves")
    if curves is not None and not (
        isinstance(curves, list) and all(isinstance(r, dict) and _is_number(r.get("step")) for r in curves)
    ):
        raise _damaged(source, "training.curves", "a list of rows with a number step")
    notes = obj.get("warnings")
    if notes is not None and not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
        raise _damaged(source, "warnings", "a list of strings")
    hardware = obj["environment"].get("hardware")
    if hardware is not None and not isinstance(hardware, dict):
        raise _damaged(source, "environment.hardware", "an object")
    total = obj["timings"].get("total_s", 0.0)
    if not _is_number(total):
        raise _damaged(source, "timings.total_s", "a number")
    confidence = obj["protocol"].get("confidence", 0.95)
    if not _is_number(confidence) or not 0.0 < confidence < 1.0:
        raise _damaged(source, "protocol.confidence", "a number between 0 and 1")


def _validate_metric(name: str, metric: Any, source: str) -> None:
    if not isinstance(metric, dict):
        raise InputError(f"{source}: metric {name!r} is not an object; the record is damaged")
    for key, kind in _METRIC_REQUIRED.items():
        value = metric.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InputError(f"{source}: metric {name!r} field {key!r} is missing or not a {_type_name(kind)}")
    if metric["value"] is not None and not math.isfinite(metric["value"]):
        raise InputError(
            f"{source}: metric {name!r} has a non-finite value {metric['value']!r} (write null for an undefined value)"
        )
    lo, hi = metric["ci_low"], metric["ci_high"]
    if (lo is None) != (hi is None) or (lo is not None and not lo <= hi):
        raise InputError(f"{source}: metric {name!r} has an invalid confidence interval [{lo}, {hi}]")
    boot = metric.get("bootstrap")
    if boot is not None and not (isinstance(boot, list) and all(isinstance(v, (int, float)) for v in boot)):
        raise InputError(f"{source}: metric {name!r} field 'bootstrap' must be a list of numbers")


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "number", float: "number", str: "string", dict: "object", bool: "boolean", type(None): "null"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def protocol_key(record: dict[str, Any]) -> str:
    """A short hash of what makes two records comparable: the suite and the evaluation protocol."""
    blob = json.dumps({"suite": record["suite"], "protocol": record["protocol"]}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def record_task(record: dict[str, Any]) -> str:
    """The record's task: "text-to-image" (generators, the default) or "image-to-text" (captioners)."""
    return record.get("task", TASKS[0])


def describe_protocol(record: dict[str, Any]) -> str:
    """A short human description of a record's suite and protocol, for error messages."""
    p = record["protocol"]
    extractor = p.get("extractor", {}).get("id", "?") if isinstance(p.get("extractor"), dict) else "?"
    captioning = record_task(record) == "image-to-text"
    return (
        f"{'image-to-text: ' if captioning else ''}suite {record['suite'].get('suite')!r} at "
        f"{record['suite'].get('resolution', '?')}px, {p.get('split', '?')} split, {p.get('samples', '?')} "
        f"{'images' if captioning else 'samples'}, {'joint encoder' if captioning else 'extractor'} {extractor}"
    )


def calibration_role(record: dict[str, Any]) -> str | None:
    """'ceiling', 'reference', 'floor' for calibration generators; None for models."""
    return record["model"].get("calibration")
