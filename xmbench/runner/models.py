"""Resolving a config's models, for either task, into loadable models with a content identity.

One table of model kinds (`KINDS`) serves both tasks. A [[models]] table names its model with one key:

- `baseline = "NAME"`: a registered reference model serving the run's task. With `train = true`,
  `steps` or a training option (a key of the baseline's DEFAULTS) it is trained (or an identical
  cached training reused); without them it loads the shipped reference weights.
- `calibration = "NAME"`: a calibration generator (text -> image) or captioner (image -> text).
- `captioner = "NAME"` (image -> text): a calibration captioner or a reference captioner, as above.
- `checkpoint = "PATH"`: a trained baseline's checkpoint; it must hold a model serving the task.
- `import = "pkg.module:factory"` (or an entry-point name): the user's generator or captioner.
- `diffusers = "ID-or-PATH"` (text -> image) / `transformers = "ID-or-PATH"` (image -> text): a Hugging Face
  model, by `xmbench.adapters` (imported only when a config names the kind).
- `samples = "DIR"` / `predictions = "FILE"`: images or captions already on disk
  (`xmbench.runner.outputs_on_disk`), keyed by the files' content.

Every kind is checked against the run's task and its options before any long work (`check_models`),
and `prepare_model` gives each a `model_hash` that keys every cache downstream and the record.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from xmbench import distributed as dist
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.registry import BASELINES, CALIBRATION, CAPTION_CALIBRATION, CAPTIONERS, GENERATORS, Registry
from xmbench.results.lock import file_lock
from xmbench.runner import outputs_on_disk
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec, RunConfig, located
from xmbench.tasks import IMAGE_TO_TEXT, TEXT_TO_IMAGE

#: options of a reference captioner that change how it captions, not how it was trained
CAPTIONING_OPTIONS = ("beam",)


@dataclass(frozen=True)
class Side:
    """What a task's models are: the contract's method and arguments, where calibration models and
    users' factories are registered, and the word for one model in messages."""

    method: str
    signature: str
    calibration: Registry
    plugins: Registry
    noun: str


SIDES = {
    TEXT_TO_IMAGE: Side("generate", "captions, seed", CALIBRATION, GENERATORS, "generator"),
    IMAGE_TO_TEXT: Side("caption", "images, seed", CAPTION_CALIBRATION, CAPTIONERS, "captioner"),
}


@dataclass
class PreparedModel:
    """A model ready to generate or caption.

    model_hash: content identity (checkpoint sha256, or what determines a calibration / imported
    model); version: the recipe's VERSION (None when it has none); load() builds the model on demand;
    kind: the record's model.kind (baseline, checkpoint, import, calibration, diffusers, transformers);
    role: a calibration model's place on the scale.
    """

    spec: ModelSpec
    model_hash: str
    role: str | None
    load: Callable[[], Any]
    kind: str = "baseline"
    checkpoint_sha256: str | None = None
    version: int | None = None
    training: dict[str, Any] | None = None
    train_s: float = 0.0
    trained_now: bool = False
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelContext:
    """What resolving one model needs from its run."""

    config: RunConfig
    suite: Suite
    split: str
    train_root: Path
    device: torch.device
    quiet: bool

    @property
    def side(self) -> Side:
        return SIDES[self.config.task]


def record_kind(spec: ModelSpec) -> str:
    """The record's model.kind of `spec`: `captioner = NAME` is a calibration captioner or a reference one.

    Example:
        >>> record_kind(ModelSpec("m", "captioner", "constant")), record_kind(ModelSpec("m", "import", "a:b"))
        ('calibration', 'import')
    """
    if spec.kind != "captioner":
        return spec.kind
    return "calibration" if spec.source in CAPTION_CALIBRATION else "baseline"


def _serves(cls: Any, side: Side) -> bool:
    return callable(getattr(cls, side.method, None))


def _training_requested(spec: ModelSpec) -> bool:
    """train = true, steps, a training seed other than 0 (or `seeds`), or an option of the baseline's
    training recipe. A request whose recipe ships loads the shipped weights."""
    if spec.train or spec.steps is not None or spec.seed != 0 or spec.group is not None:
        return True
    defaults = BASELINES.get(spec.source).defaults() if spec.source in BASELINES else {}
    return any(k in defaults for k in spec.options)


def _reference_names(side: Side) -> list[str]:
    trainable = [n for n in BASELINES.names() if _serves(BASELINES.get(n), side)]
    extra = [n for n in CAPTIONERS.names() if n not in trainable] if side is SIDES[IMAGE_TO_TEXT] else []
    return trainable + extra


# ---- checks (before any work) -------------------------------------------------------------------


def _check_baseline(ctx: ModelContext, spec: ModelSpec) -> None:
    side, name = ctx.side, spec.source
    if name not in _reference_names(side):
        other = next((t for t, s in SIDES.items() if s is not side and name in _reference_names(s)), None)
        if other is not None:
            raise InputError(f"{name!r} is a {SIDES[other].noun}, it serves {other} runs, not {ctx.config.task}")
        hint = f" (it is a calibration {side.noun}: write calibration = ...)" if name in side.calibration else ""
        if side is SIDES[TEXT_TO_IMAGE]:
            raise InputError(f"{unknown_name('baseline', name, _reference_names(side))}{hint}")
        raise unknown_name("captioner", name, [*_reference_names(side), *side.calibration.names()])
    trainable = name in BASELINES
    allowed = dict(BASELINES.get(name).defaults()) if trainable else {}
    if not trainable or (side is SIDES[IMAGE_TO_TEXT] and not _training_requested(spec)):
        allowed.update(dict.fromkeys(_factory_options(CAPTIONERS.get(name)) if name in CAPTIONERS else ()))
    if trainable and side is SIDES[IMAGE_TO_TEXT]:
        allowed.update(dict.fromkeys(CAPTIONING_OPTIONS))
    for option in spec.options:
        if option not in allowed:
            raise unknown_name(f"option of {name!r}", option, allowed)
    if (spec.train or spec.group) and not trainable:
        raise InputError(f"{name!r} is not trained by xmbench: remove train / seeds")


def _factory_options(factory: Callable[..., Any]) -> list[str]:
    """A factory's keyword options, less what the runner passes itself (suite, device)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return []
    return [p for p in params if p not in ("suite", "device", "self") and params[p].default is not inspect._empty]


def _check_calibration(ctx: ModelContext, spec: ModelSpec) -> None:
    side = ctx.side
    if spec.source not in side.calibration:
        raise unknown_name(f"calibration {side.noun}", spec.source, side.calibration.names())
    if spec.options:
        raise InputError(
            f"calibration {side.noun} {spec.source!r} takes no options (got {', '.join(sorted(spec.options))}); "
            f"remove options from model {spec.name!r}"
        )


def _check_checkpoint(ctx: ModelContext, spec: ModelSpec) -> None:
    from baselines.checkpoint import read_config

    if not Path(spec.source).exists():
        raise InputError(
            f"checkpoint {spec.source} of model {spec.name!r} does not exist; train it with `xmbench train` "
            "or fix the path (relative paths start at the current folder)"
        )
    name = read_config(spec.source)["baseline"]
    if name not in BASELINES or not _serves(BASELINES.get(name), ctx.side):
        raise InputError(
            f"checkpoint {spec.source} holds {name!r}, which does not {ctx.side.method}: it cannot serve a "
            f"{ctx.config.task} run; name a {ctx.side.noun}'s checkpoint"
        )
    allowed = CAPTIONING_OPTIONS if ctx.side is SIDES[IMAGE_TO_TEXT] else ()
    for option in spec.options:
        if option not in allowed:
            raise unknown_name("option of a checkpoint model", option, allowed)


def _check_import(ctx: ModelContext, spec: ModelSpec) -> None:
    from xmbench.plugins import check_options

    if ":" not in spec.source and spec.source not in ctx.side.plugins:
        raise InputError(
            f"import path {spec.source!r} needs a factory: write pkg.module:factory, or name a registered "
            f"{ctx.side.noun} ({', '.join(ctx.side.plugins.names()) or 'none registered'})"
        )
    try:  # imports the module: a missing one or a wrong option fails before any work
        check_options(spec.source, ctx.side.plugins, dict(spec.options))
    except XmbenchError as e:
        raise type(e)(f"model {spec.name!r}: {e}") from e.__cause__


# ---- preparing (train, load, hash) --------------------------------------------------------------


def _training_budget(spec: ModelSpec) -> int:
    return int(spec.steps or spec.options.get("steps") or BASELINES.get(spec.source).DEFAULTS["steps"])


def _training_settings(spec: ModelSpec, config: RunConfig) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(steps, training options without steps, train_limit / checkpoint_every from [train])."""
    options = {k: v for k, v in spec.options.items() if k != "steps" and k not in CAPTIONING_OPTIONS}
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


def _loader(spec: ModelSpec, path: Path | str, ctx: ModelContext, baseline: str | None = None) -> Callable[[], Any]:
    """Loads a checkpoint; a captioner gets its `beam` option and is wrapped in the output checks."""

    def load() -> Any:
        from baselines.checkpoint import load_checkpoint

        model = load_checkpoint(path, baseline=baseline, device=ctx.device)
        if ctx.side is not SIDES[IMAGE_TO_TEXT]:
            return model
        from xmbench.captioner import CheckedCaptioner

        if "beam" in spec.options:
            model.beam = int(spec.options["beam"])
        return CheckedCaptioner(model.eval(), spec.source)

    return load


def _prepare_baseline(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """A reference model: trained (or a cached training reused) when asked, else the shipped weights."""
    if ctx.side is SIDES[IMAGE_TO_TEXT] and (spec.source not in BASELINES or not _training_requested(spec)):
        return _registered_captioner(ctx, spec)
    steps, options, extra = _training_settings(spec, ctx.config)
    # [training] train_limit shapes the trainings a model asks for; a bare reference name still loads
    limited = _training_requested(spec) and "train_limit" in extra
    shipped = None if spec.train or limited else _shipped_for(spec, steps, options, ctx.suite)
    prepared = _prepare_shipped(ctx, spec, shipped, steps, options) if shipped else _prepare_trained(ctx, spec)
    if spec.group is not None:  # one of several training seeds: the leaderboard aggregates the group
        prepared.info.update(seed_group=spec.group, training_seed=spec.seed)
    return prepared


def _prepare_trained(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """Train baseline `spec` (or reuse its finished training run) and hash its final checkpoint."""
    from baselines.checkpoint import checkpoint_hash
    from baselines.training import read_curves, train_baseline

    config = ctx.config
    steps, options, extra = _training_settings(spec, config)
    run_dir = ctx.train_root / f"{spec.name}-{training_key(spec, config, ctx.suite)[:12]}"
    t0, trained_now = time.perf_counter(), False
    # another run training the same model: wait for it (rank 0 holds the lock for every rank)
    lock = file_lock(run_dir, timeout_s=24 * 3600.0) if dist.is_main() else contextlib.nullcontext()
    with lock:
        if dist.broadcast_json(_latest_step(run_dir) < steps if dist.is_main() else None):
            trained_now = True
            train_device = config.train_options.get("device", "auto")
            train_baseline(
                spec.source,
                ctx.suite,
                out_dir=run_dir,
                steps=steps,
                seed=spec.seed,
                device=str(ctx.device) if train_device == "auto" else train_device,
                quiet=ctx.quiet or bool(config.train_options.get("quiet", False)),
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
        "curves": read_curves(run_dir),
    }
    return PreparedModel(
        spec,
        digest,
        None,
        _loader(spec, run_dir, ctx),
        checkpoint_sha256=digest,
        version=BASELINES.get(spec.source).VERSION,
        training=training,
        train_s=time.perf_counter() - t0,
        trained_now=trained_now,
    )


def _latest_step(run_dir: Path) -> int:
    from baselines.checkpoint import read_latest

    latest = read_latest(run_dir)
    return 0 if latest is None else latest[0]


def _shipped_for(spec: ModelSpec, steps: int, options: dict[str, Any], suite: Suite) -> Any:
    """The shipped checkpoint whose recipe is exactly this training, or None.

    The same under torchrun: shipped weights are loaded, not trained, so the world size plays no part.
    """
    from baselines.registry import baseline_class
    from baselines.shipped import find_shipped

    cls = baseline_class(spec.source)
    resolved = {k: v for k, v in {**cls.defaults(), **options}.items() if k != "steps"}
    shipped = find_shipped(spec.source, resolved, steps, spec.seed, suite.protocol())
    # weights shipped for another version of the baseline's code may not generate the same images
    return shipped if shipped is not None and shipped.recipe["baseline_version"] == cls.VERSION else None


def _prepare_shipped(
    ctx: ModelContext, spec: ModelSpec, shipped: Any, steps: int, options: dict[str, Any]
) -> PreparedModel:
    """A baseline whose recipe ships with xmbench: its hash-checked weights, nothing trained."""
    from baselines.shipped import verified_file

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
        _loader(spec, verified_file(shipped), ctx, baseline=spec.source),
        checkpoint_sha256=shipped.sha256,
        version=shipped.recipe["baseline_version"],
        training=training,
    )


def _registered_captioner(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """A captioner of the CAPTIONERS registry (the reference captioners), keyed by its VERSION and the
    sha256 of the weights it loads (the shipped file, or the `checkpoint` option's)."""
    from xmbench.captioner import CheckedCaptioner

    factory = CAPTIONERS.get(spec.source)
    takes = inspect.signature(factory).parameters
    options = dict(spec.options)
    if "suite" in takes and "suite" not in options:
        options["suite"] = ctx.suite
    if "device" in takes and "device" not in options:
        options["device"] = str(ctx.device)
    weights, note = None, "keyed by name, options, VERSION and the weights' sha256"
    if spec.source in BASELINES:
        from baselines.checkpoint import checkpoint_hash
        from baselines.shipped import get_shipped

        version = BASELINES.get(spec.source).VERSION
        checkpoint = spec.options.get("checkpoint")
        weights = checkpoint_hash(checkpoint) if checkpoint else get_shipped(spec.source).sha256
    else:
        version = getattr(factory, "VERSION", None)
        if version is None:
            version, note = _module_digest(f"{factory.__module__}:x"), "keyed by name, options and the module's hash"
    identity = {k: v for k, v in spec.options.items() if k != "device"}
    digest = content_key("captioner", spec.source, version, identity, weights, ctx.suite.protocol())
    return PreparedModel(
        spec,
        digest,
        None,
        lambda: CheckedCaptioner(factory(**options), spec.source),
        checkpoint_sha256=weights,
        version=version if isinstance(version, int) else None,
        info={"cache_note": note},
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


def import_identity(spec: ModelSpec, registry: Registry, kind: str) -> tuple[str, int | None, str]:
    """(cache key, VERSION or None, note saying what keys it) of a user's `import` model resolved in `registry`.

    The version is the factory's `VERSION` attribute when it has one (bump it when the model's outputs
    change): then nothing else of the user's code keys the caches, and editing it re-evaluates nothing.
    Without `VERSION` the sha256 of the factory module's source file stands in, a best effort that
    misses changes to other modules and weight files.
    """
    from xmbench.plugins import load_factory

    version = getattr(load_factory(spec.source, registry), "VERSION", None)
    if version is not None:
        key, note = version, "keyed by import path, options and the factory's VERSION"
    else:
        key, note = _module_digest(spec.source), "keyed by import path, options and the module file's hash (no VERSION)"
    return content_key(kind, spec.source, spec.options, key), version, note


#: the import kind's cache-key tag per task (the keys records were written under)
_IMPORT_TAGS = {TEXT_TO_IMAGE: "import", IMAGE_TO_TEXT: "import-captioner"}


def _prepare_import(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """A user's generator or captioner by import path or entry-point name."""
    key, version, note = import_identity(spec, ctx.side.plugins, _IMPORT_TAGS[ctx.config.task])
    return PreparedModel(spec, key, None, lambda: _user_model(ctx, spec), version=version, info={"cache_note": note})


def _user_model(ctx: ModelContext, spec: ModelSpec) -> Any:
    """The user's model of `spec`, built with its options only, wrapped in the task's output checks."""
    from xmbench.captioner import CheckedCaptioner
    from xmbench.generator import CheckedGenerator
    from xmbench.plugins import make_plugin

    side = ctx.side
    try:
        made = make_plugin(spec.source, side.plugins, side.method, side.signature, **spec.options)
    except XmbenchError as e:
        raise type(e)(f"model {spec.name!r}: {e}") from e.__cause__
    if side is SIDES[IMAGE_TO_TEXT]:
        return CheckedCaptioner(made, spec.source)
    return CheckedGenerator(made, f"model {spec.name!r} ({spec.source})", ctx.suite.resolution)


#: the cache-key tag of calibration models per task
_CALIBRATION_TAGS = {TEXT_TO_IMAGE: "calibration", IMAGE_TO_TEXT: "calibration-captioner"}


def _prepare_calibration(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    cls = ctx.side.calibration.get(spec.source)
    if ctx.config.task == IMAGE_TO_TEXT:
        identity: tuple[Any, ...] = (ctx.suite.protocol(), ctx.split)
        split = ctx.split if spec.source == "real" else None
    else:
        identity, split = (ctx.suite.protocol(), spec.options), None
    digest = content_key(_CALIBRATION_TAGS[ctx.config.task], spec.source, cls.VERSION, *identity)
    return PreparedModel(spec, digest, cls.role, lambda: cls.for_suite(ctx.suite, split), version=cls.VERSION)


def _prepare_checkpoint(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    from baselines.checkpoint import checkpoint_hash, read_config

    digest = checkpoint_hash(spec.source)
    version = BASELINES.get(read_config(spec.source)["baseline"]).VERSION
    return PreparedModel(spec, digest, None, _loader(spec, spec.source, ctx), checkpoint_sha256=digest, version=version)


@dataclass(frozen=True)
class Kind:
    """One model kind: its check before any work, how it is prepared, and the task it serves.

    serves: the one task the kind serves, with what it gives and what to write instead for the other
    task, checked for every kind alike before its own check; None where it depends on the model
    (a baseline or checkpoint is a generator or a captioner).
    """

    check: Callable[[ModelContext, ModelSpec], None]
    prepare: Callable[[ModelContext, ModelSpec], PreparedModel]
    serves: tuple[str, str, str] | None = None

    def check_task(self, ctx: ModelContext, spec: ModelSpec) -> None:
        """InputError when the run's task is not the one this kind serves."""
        if self.serves is not None and ctx.config.task != self.serves[0]:
            task, gives, instead = self.serves
            raise InputError(
                f"{spec.kind} = {spec.source!r} {gives}: it serves {task} runs, which "
                f"{ctx.config.task} runs cannot score; {instead}"
            )


def _adapter(module: str, serves: tuple[str, str, str]) -> Kind:
    """A kind of `xmbench.adapters.<module>`, imported on first use (its library is optional)."""

    def adapter() -> Any:
        return importlib.import_module(f"xmbench.adapters.{module}")

    return Kind(lambda ctx, spec: adapter().check(ctx, spec), lambda ctx, spec: adapter().prepare(ctx, spec), serves)


#: every model kind of either task, by the record's model.kind
KINDS: dict[str, Kind] = {
    "baseline": Kind(_check_baseline, _prepare_baseline),
    "calibration": Kind(_check_calibration, _prepare_calibration),
    "checkpoint": Kind(_check_checkpoint, _prepare_checkpoint),
    "import": Kind(_check_import, _prepare_import),
    "diffusers": _adapter(
        "diffusers", (TEXT_TO_IMAGE, "generates images", 'name a captioner (e.g. transformers = "ID-or-PATH")')
    ),
    "transformers": _adapter(
        "transformers", (IMAGE_TO_TEXT, "captions images", 'name a generator (e.g. diffusers = "ID-or-PATH")')
    ),
    "samples": Kind(
        outputs_on_disk.check_samples,
        outputs_on_disk.prepare_samples,
        (TEXT_TO_IMAGE, "holds images", "give this run's outputs as predictions = FILE"),
    ),
    "predictions": Kind(
        outputs_on_disk.check_predictions,
        outputs_on_disk.prepare_predictions,
        (IMAGE_TO_TEXT, "holds captions", "give this run's outputs as samples = DIR"),
    ),
}


def check_models(ctx: ModelContext) -> None:
    """Check every model of the run against its task: names, files, options (one located line per problem)."""
    for spec in ctx.config.models:
        try:
            kind = KINDS[record_kind(spec)]
            kind.check_task(ctx, spec)
            kind.check(ctx, spec)
        except XmbenchError as e:
            raise located(ctx.config, spec, e) from None


def prepare_model(ctx: ModelContext, spec: ModelSpec) -> PreparedModel:
    """Resolve one model of the run: train or load it, hash it; errors are located at its config line."""
    kind = record_kind(spec)
    try:
        prepared = KINDS[kind].prepare(ctx, spec)
    except XmbenchError as e:
        if str(e).startswith(ctx.config.path):
            raise
        raise located(ctx.config, spec, e) from None
    prepared.kind = kind
    return prepared


__all__ = ["KINDS", "ModelContext", "PreparedModel", "check_models", "import_identity", "prepare_model", "training_key"]
