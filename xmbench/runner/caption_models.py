"""Resolving an image -> text run's models into captioners: names checked early, each captioner given
a content hash that keys the caption cache and the record.

A model names its captioner with one key of its [[models]] table:
- `captioner = "NAME"`: a calibration captioner (real, constant, random: `CAPTION_CALIBRATION`), a
  trainable captioner registered in `BASELINES` (trained, or reused from the training cache, like a
  generator baseline), or a factory registered in `CAPTIONERS` (called with the model's options);
- `calibration = "NAME"`: a calibration captioner; `baseline = "NAME"`: a trainable captioner;
- `checkpoint = "PATH"`: a trained captioner's checkpoint; `import = "pkg.module:factory"`: the user's.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch

from xmbench.captioner import CheckedCaptioner
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.registry import CAPTION_CALIBRATION, CAPTIONERS
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec, RunConfig, located
from xmbench.runner.models import PreparedModel, _checkpoint, _module_digest, import_identity, prepare_baseline


def trainable_captioners() -> dict[str, str]:
    """Registered trainable captioner name -> summary (the `baselines` with a `caption` method)."""
    from xmbench.registry import BASELINES

    return {n: s for n, s in BASELINES.summaries().items() if callable(getattr(BASELINES.get(n), "caption", None))}


def record_kind(spec: ModelSpec) -> str:
    """The record's model.kind for `spec`: `captioner = NAME` is a calibration captioner or a reference
    ("baseline") captioner of the registries."""
    if spec.kind != "captioner":
        return spec.kind
    return "calibration" if spec.source in CAPTION_CALIBRATION else "baseline"


def _check_names(config: RunConfig, spec: ModelSpec, trainable: dict[str, str]) -> None:
    kind = record_kind(spec)
    if kind == "calibration" and spec.source not in CAPTION_CALIBRATION:
        raise located(config, spec, unknown_name("calibration captioner", spec.source, CAPTION_CALIBRATION.names()))
    if kind == "baseline" and spec.source not in trainable and spec.source not in CAPTIONERS:
        known = [*trainable, *CAPTIONERS.names(), *CAPTION_CALIBRATION.names()]
        raise located(config, spec, unknown_name("captioner", spec.source, known))


def check_captioners(config: RunConfig) -> None:
    """Check every model of an image -> text run before any long work (one located line per problem)."""
    trainable = trainable_captioners()
    for spec in config.models:
        _check_names(config, spec, trainable)
        if spec.kind == "checkpoint" and not Path(spec.source).exists():
            raise located(
                config,
                spec,
                InputError(f"checkpoint {spec.source} of model {spec.name!r} does not exist; fix the path"),
            )
        if spec.kind == "import" and ":" not in spec.source:
            raise located(
                config, spec, InputError(f"import path {spec.source!r} needs a factory: write pkg.module:factory")
            )
        if record_kind(spec) == "calibration" and spec.options:
            raise located(config, spec, InputError(f"calibration captioner {spec.source!r} takes no options"))


def _calibration(spec: ModelSpec, suite: Suite, split: str) -> PreparedModel:
    cls = CAPTION_CALIBRATION.get(spec.source)
    digest = content_key("calibration-captioner", spec.source, cls.VERSION, suite.protocol(), split)
    own_split = split if spec.source == "real" else None
    return PreparedModel(spec, digest, cls.role, lambda: cls.for_suite(suite, own_split), version=cls.VERSION)


def _import(spec: ModelSpec) -> PreparedModel:
    """A user's captioner, keyed like a user's generator: its factory's VERSION, else its module file's hash."""
    from xmbench.captioner import load_captioner

    key, version, note = import_identity(spec, CAPTIONERS, "import-captioner")
    return PreparedModel(
        spec,
        key,
        None,
        lambda: load_captioner(spec.source, **spec.options),
        version=version,
        info={"cache_note": note},
    )


def _registered(spec: ModelSpec, suite: Suite, device: torch.device) -> PreparedModel:
    """A captioner of the CAPTIONERS registry (the reference captioners), keyed by its VERSION and the
    sha256 of the weights it loads (the shipped file, or the `checkpoint` option's)."""
    factory = CAPTIONERS.get(spec.source)
    takes = inspect.signature(factory).parameters
    options = dict(spec.options)
    if "suite" in takes and "suite" not in options:
        options["suite"] = suite
    if "device" in takes and "device" not in options:
        options["device"] = str(device)
    weights, note = None, "keyed by name, options, VERSION and the weights' sha256"
    trainable = _trainable_classes()
    if spec.source in trainable:
        from baselines.checkpoint import checkpoint_hash

        version = trainable[spec.source].VERSION
        checkpoint = spec.options.get("checkpoint")
        weights = checkpoint_hash(checkpoint) if checkpoint else _shipped_sha256(spec.source)
    else:
        version = getattr(factory, "VERSION", None)
        if version is None:
            version, note = _module_digest(f"{factory.__module__}:x"), "keyed by name, options and the module's hash"
    identity = {k: v for k, v in spec.options.items() if k != "device"}
    digest = content_key("captioner", spec.source, version, identity, weights, suite.protocol())
    return PreparedModel(
        spec,
        digest,
        None,
        lambda: CheckedCaptioner(factory(**options), spec.source),
        checkpoint_sha256=weights,
        version=version if isinstance(version, int) else None,
        info={"cache_note": note},
    )


def _trainable_classes() -> dict[str, Any]:
    from baselines.captioners import TRAINABLE_CAPTIONERS

    return TRAINABLE_CAPTIONERS


def _shipped_sha256(name: str) -> str:
    from baselines.shipped import get_shipped

    return get_shipped(name).sha256


def prepare_captioner(
    spec: ModelSpec,
    config: RunConfig,
    suite: Suite,
    split: str,
    train_root: Path,
    device: torch.device,
    quiet: bool,
) -> PreparedModel:
    """Resolve one model of an image -> text run; `generator_hash` is the captioner's content identity."""
    try:
        kind = record_kind(spec)
        if kind == "calibration":
            return _calibration(spec, suite, split)
        if kind == "baseline" and spec.source in CAPTIONERS:
            return _registered(spec, suite, device)
        if kind == "baseline":
            return prepare_baseline(spec, config, suite, train_root, device, quiet)
        if kind == "checkpoint":
            return _checkpoint(spec, device)
        return _import(spec)
    except XmbenchError as e:
        if str(e).startswith(config.path):
            raise
        raise located(config, spec, e) from None
