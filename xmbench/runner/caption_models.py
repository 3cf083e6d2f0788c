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

from pathlib import Path

import torch

from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.registry import CAPTION_CALIBRATION, CAPTIONERS
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec, RunConfig, located
from xmbench.runner.models import PreparedModel, _checkpoint, _module_digest, prepare_baseline


def trainable_captioners() -> dict[str, str]:
    """Registered trainable captioner name -> summary (the `baselines` with a `caption` method)."""
    from xmbench.registry import BASELINES

    return {n: s for n, s in BASELINES.summaries().items() if callable(getattr(BASELINES.get(n), "caption", None))}


def record_kind(spec: ModelSpec) -> str:
    """The record's model.kind for `spec`: `captioner = NAME` resolves to calibration, baseline or import."""
    if spec.kind != "captioner":
        return spec.kind
    if spec.source in CAPTION_CALIBRATION:
        return "calibration"
    return "import" if spec.source in CAPTIONERS and spec.source not in trainable_captioners() else "baseline"


def _check_names(config: RunConfig, spec: ModelSpec, trainable: dict[str, str]) -> None:
    kind = record_kind(spec)
    if kind == "calibration" and spec.source not in CAPTION_CALIBRATION:
        raise located(config, spec, unknown_name("calibration captioner", spec.source, CAPTION_CALIBRATION.names()))
    if kind == "baseline" and spec.source not in trainable:
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
        if spec.kind == "import" and ":" not in spec.source and spec.source not in CAPTIONERS:
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
    from xmbench.plugins import load_factory

    version = getattr(load_factory(spec.source, CAPTIONERS), "VERSION", None)
    if version is not None:
        key, note = version, "keyed by import path, options and the factory's VERSION"
    else:
        key, note = _module_digest(spec.source), "keyed by import path, options and the module file's hash (no VERSION)"
    return PreparedModel(
        spec,
        content_key("import-captioner", spec.source, spec.options, key),
        None,
        lambda: load_captioner(spec.source, **spec.options),
        version=version,
        info={"cache_note": note},
    )


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
        if kind == "baseline":
            return prepare_baseline(spec, config, suite, train_root, device, quiet)
        if kind == "checkpoint":
            return _checkpoint(spec, device)
        return _import(spec)
    except XmbenchError as e:
        if str(e).startswith(config.path):
            raise
        raise located(config, spec, e) from None
