"""Resolving a config's models into generators: check names early, train or reuse baselines, and
give each generator a content hash that keys every cache downstream."""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from xmbench import distributed as dist
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.generator import Generator
from xmbench.registry import BASELINES, CALIBRATION, GENERATORS, Registry
from xmbench.results.lock import file_lock
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec, RunConfig, located

#: where each calibration generator sits on the scale (result records' model.calibration)
CALIBRATION_ROLES = {"real": "ceiling", "retrieval": "reference", "noise": "floor"}


@dataclass
class PreparedModel:
    """A model ready to generate. generator_hash: content identity (checkpoint sha256, or what
    determines a calibration / imported generator); version: the recipe's VERSION (baseline class,
    calibration class, or an imported factory's VERSION; None when it has none); load() builds the
    generator on demand."""

    spec: ModelSpec
    generator_hash: str
    role: str | None
    load: Callable[[], Generator]
    checkpoint_sha256: str | None = None
    version: int | None = None
    training: dict[str, Any] | None = None
    train_s: float = 0.0
    trained_now: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def check_models(config: RunConfig) -> None:
    """Check every model's names and files before any long work (one located line per problem)."""

    for spec in config.models:
        if spec.kind == "baseline":
            _check_baseline(config, spec)
        if spec.kind == "calibration" and spec.source not in CALIBRATION:
            raise located(config, spec, unknown_name("calibration generator", spec.source, CALIBRATION))
        if spec.kind == "calibration" and spec.options:
            raise located(
                config,
                spec,
                InputError(
                    f"calibration generator {spec.source!r} takes no options (got {', '.join(sorted(spec.options))}); "
                    "remove options from model " + repr(spec.name)
                ),
            )
        if spec.kind == "checkpoint" and not Path(spec.source).exists():
            raise located(
                config,
                spec,
                InputError(
                    f"checkpoint {spec.source} of model {spec.name!r} does not exist; train it with `xmbench train` "
                    "or fix the path (relative paths start at the current folder)"
                ),
            )
        if spec.kind == "import" and ":" not in spec.source and "." in spec.source:
            raise located(
                config, spec, InputError(f"import path {spec.source!r} needs a factory: write pkg.module:factory")
            )
        if spec.kind == "import":  # imports the module: a missing one or a wrong option fails before any work
            _check_user_options(config, spec)


def _check_baseline(config: RunConfig, spec: ModelSpec) -> None:
    if spec.source not in BASELINES:
        hint = " (it is a calibration generator: write calibration = ...)" if spec.source in CALIBRATION else ""
        raise located(config, spec, InputError(f"{unknown_name('baseline', spec.source, BASELINES)}{hint}"))
    defaults = BASELINES.get(spec.source).defaults()  # a GAN's text_encoder, text_steps too
    for option in spec.options:
        if option not in defaults:
            raise located(config, spec, unknown_name(f"option of baseline {spec.source!r}", option, defaults))


def _check_user_options(config: RunConfig, spec: ModelSpec) -> None:
    from xmbench.plugins import check_options
    from xmbench.registry import GENERATORS

    try:
        check_options(spec.source, GENERATORS, dict(spec.options))
    except XmbenchError as e:
        raise located(config, spec, type(e)(f"model {spec.name!r}: {e}")) from e.__cause__


def _training_budget(spec: ModelSpec) -> int:
    return int(spec.steps or spec.options.get("steps") or BASELINES.get(spec.source).DEFAULTS["steps"])


def _training_settings(spec: ModelSpec, config: RunConfig) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(steps, baseline options without steps, train_limit / checkpoint_every from [train])."""
    options = {k: v for k, v in spec.options.items() if k != "steps"}
    extra = {k: config.train_options[k] for k in ("train_limit", "checkpoint_every") if k in config.train_options}
    return _training_budget(spec), options, extra


def training_key(spec: ModelSpec, config: RunConfig, suite: Suite) -> str:
    """The training cache's key of baseline `spec`: (name, the class's VERSION, options, steps, seed,
    suite protocol, train_limit, world size when > 1, as DDP trains on world size x batch_size)."""
    steps, options, extra = _training_settings(spec, config)
    world = [dist.world_size()] if dist.world_size() > 1 else []
    version = BASELINES.get(spec.source).VERSION
    return content_key(
        "train", spec.source, version, options, steps, spec.seed, suite.protocol(), extra.get("train_limit"), *world
    )


def _latest_step(run_dir: Path) -> int:
    from baselines.checkpoint import read_latest

    latest = read_latest(run_dir)
    return 0 if latest is None else latest[0]


def _curves(run_dir: Path) -> list[dict[str, Any]]:
    from baselines.training import read_curves

    return read_curves(run_dir)


def prepare_baseline(
    spec: ModelSpec, config: RunConfig, suite: Suite, train_root: Path, device: torch.device, quiet: bool
) -> PreparedModel:
    """Train baseline `spec` (or reuse its finished training run) and hash its final checkpoint."""
    from baselines.checkpoint import checkpoint_hash, load_checkpoint
    from baselines.training import train_baseline

    steps, options, extra = _training_settings(spec, config)
    shipped = None if spec.train or "train_limit" in extra else _shipped_for(spec, steps, options, suite)
    if shipped is not None:
        return _prepare_shipped(spec, shipped, steps, options, device)
    key = training_key(spec, config, suite)
    run_dir = train_root / f"{spec.name}-{key[:12]}"
    t0, trained_now = time.perf_counter(), False
    # another run training the same model: wait for it (rank 0 holds the lock for every rank)
    lock = file_lock(run_dir, timeout_s=24 * 3600.0) if dist.is_main() else contextlib.nullcontext()
    with lock:
        if dist.broadcast_json(_latest_step(run_dir) < steps if dist.is_main() else None):
            trained_now = True
            train_device = config.train_options.get("device", "auto")
            train_device = str(device) if train_device == "auto" else train_device
            train_baseline(
                spec.source,
                suite,
                out_dir=run_dir,
                steps=steps,
                seed=spec.seed,
                device=train_device,
                quiet=quiet or bool(config.train_options.get("quiet", False)),
                **extra,
                **options,
            )
    digest = checkpoint_hash(run_dir)
    training = {
        "baseline": spec.source,
        "steps": steps,
        "seed": spec.seed,
        "options": options,
        "train_limit": extra.get("train_limit"),
        "curves": _curves(run_dir),
    }
    return PreparedModel(
        spec,
        digest,
        None,
        lambda: load_checkpoint(run_dir, device=device),
        checkpoint_sha256=digest,
        version=BASELINES.get(spec.source).VERSION,
        training=training,
        train_s=time.perf_counter() - t0,
        trained_now=trained_now,
    )


def _shipped_for(spec: ModelSpec, steps: int, options: dict[str, Any], suite: Suite) -> Any:
    """The shipped checkpoint whose recipe is exactly this training (single process), or None."""
    from baselines.base import COMMON_DEFAULTS
    from baselines.registry import baseline_class
    from baselines.shipped import find_shipped

    if dist.world_size() > 1:
        return None
    cls = baseline_class(spec.source)
    resolved = {k: v for k, v in {**COMMON_DEFAULTS, **cls.DEFAULTS, **options}.items() if k != "steps"}
    shipped = find_shipped(spec.source, resolved, steps, spec.seed, suite.protocol())
    # weights shipped for another version of the baseline's code may not generate the same images
    return shipped if shipped is not None and shipped.recipe["baseline_version"] == cls.VERSION else None


def _prepare_shipped(
    spec: ModelSpec, shipped: Any, steps: int, options: dict[str, Any], device: torch.device
) -> PreparedModel:
    """A baseline whose recipe ships with xmbench: its hash-checked weights, nothing trained."""
    from baselines.checkpoint import load_checkpoint
    from baselines.shipped import verified_file

    file = verified_file(shipped)
    training = {
        "baseline": spec.source,
        "steps": steps,
        "seed": spec.seed,
        "options": options,
        "train_limit": None,
        "shipped": shipped.name,
        "cost": shipped.meta.get("cost"),
        "curves": shipped.meta.get("curve", []),
    }
    return PreparedModel(
        spec,
        shipped.sha256,
        None,
        lambda: load_checkpoint(file, baseline=spec.source, device=device),
        checkpoint_sha256=shipped.sha256,
        version=shipped.recipe["baseline_version"],
        training=training,
    )


def _module_digest(import_path: str) -> str | None:
    """sha256 of the source file of an import path's module (None when it has no file)."""
    module = import_path.partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        return None
    return content_key(Path(spec.origin).read_bytes().hex())


def prepare_import(spec: ModelSpec, suite: Suite) -> PreparedModel:
    """A user's generator by import path or entry-point name, keyed on the path, its options and a version.

    The version is the factory's `VERSION` attribute when it has one (bump it when the model's outputs
    change): then nothing else of the user's code keys the caches, and editing it re-evaluates nothing.
    Without `VERSION` the sha256 of the factory module's source file stands in, a best effort that
    misses changes to other modules and weight files.
    """
    key, version, note = import_identity(spec, GENERATORS, "import")
    return PreparedModel(
        spec, key, None, lambda: _user_generator(spec, suite.resolution), version=version, info={"cache_note": note}
    )


def import_identity(spec: ModelSpec, registry: Registry, kind: str) -> tuple[str, int | None, str]:
    """(cache key, VERSION or None, note saying what keys it) of a user's `import` model resolved in `registry`:
    its import path, options and the factory's `VERSION`, else the sha256 of the factory module's file."""
    from xmbench.plugins import load_factory

    version = getattr(load_factory(spec.source, registry), "VERSION", None)
    if version is not None:
        key, note = version, "keyed by import path, options and the factory's VERSION"
    else:
        key, note = _module_digest(spec.source), "keyed by import path, options and the module file's hash (no VERSION)"
    return content_key(kind, spec.source, spec.options, key), version, note


def _calibration(spec: ModelSpec, suite: Suite) -> PreparedModel:
    from baselines.registry import get_calibration

    version = CALIBRATION.get(spec.source).VERSION
    digest = content_key("calibration", spec.source, version, suite.protocol(), spec.options)
    return PreparedModel(
        spec, digest, CALIBRATION_ROLES[spec.source], lambda: get_calibration(spec.source, suite), version=version
    )


def _checkpoint(spec: ModelSpec, device: torch.device) -> PreparedModel:
    from baselines.checkpoint import checkpoint_hash, load_checkpoint, read_config

    digest = checkpoint_hash(spec.source)
    version = BASELINES.get(read_config(spec.source)["baseline"]).VERSION
    return PreparedModel(
        spec,
        digest,
        None,
        lambda: load_checkpoint(spec.source, device=device),
        checkpoint_sha256=digest,
        version=version,
    )


def _user_generator(spec: ModelSpec, resolution: int) -> Generator:
    """The user's generator of `spec`, built with its options only (the suite's resolution is not an
    option: `options = { resolution = 64 }` reaches the factory as the user wrote it); errors name the model."""
    from xmbench.generator import CheckedGenerator
    from xmbench.plugins import make_plugin
    from xmbench.registry import GENERATORS

    try:
        made = make_plugin(spec.source, GENERATORS, "generate", "captions, seed", **spec.options)
    except XmbenchError as e:
        raise type(e)(f"model {spec.name!r}: {e}") from e.__cause__
    return CheckedGenerator(made, f"model {spec.name!r} ({spec.source})", resolution)


def prepare_model(
    spec: ModelSpec, config: RunConfig, suite: Suite, train_root: Path, device: torch.device, quiet: bool
) -> PreparedModel:
    """Resolve one model: baseline (train or reuse), checkpoint, import path or calibration generator."""
    try:
        if spec.kind == "baseline":
            prepared = prepare_baseline(spec, config, suite, train_root, device, quiet)
            if spec.group is not None:  # one of several training seeds: the leaderboard aggregates the group
                prepared.info.update(seed_group=spec.group, training_seed=spec.seed)
            return prepared
        if spec.kind == "calibration":
            return _calibration(spec, suite)
        if spec.kind == "checkpoint":
            return _checkpoint(spec, device)
        return prepare_import(spec, suite)
    except XmbenchError as e:
        if str(e).startswith(config.path):
            raise
        raise located(config, spec, e) from None
