"""Resolving a config's models into generators: check names early, train or reuse baselines, and
give each generator a content hash that keys every cache downstream."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from xmbench import distributed as dist
from xmbench.data.base import Suite
from xmbench.errors import InputError, XmbenchError, unknown_name
from xmbench.generator import Generator
from xmbench.results.lock import file_lock
from xmbench.runner.cache import content_key
from xmbench.runner.config import ModelSpec, RunConfig, located

#: where each calibration generator sits on the scale (result records' model.calibration)
CALIBRATION_ROLES = {"real": "ceiling", "retrieval": "reference", "noise": "floor"}


@dataclass
class PreparedModel:
    """A model ready to generate. generator_hash: content identity (checkpoint sha256, or what
    determines a calibration / imported generator); load() builds the generator on demand."""

    spec: ModelSpec
    generator_hash: str
    role: str | None
    load: Callable[[], Generator]
    checkpoint_sha256: str | None = None
    training: dict[str, Any] | None = None
    train_s: float = 0.0
    trained_now: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def check_models(config: RunConfig) -> None:
    """Check every model's names and files before any long work (one located line per problem)."""
    from baselines.base import COMMON_DEFAULTS
    from xmbench.registry import BASELINES, CALIBRATION

    for spec in config.models:
        if spec.kind == "baseline" and spec.source not in BASELINES:
            hint = " (it is a calibration generator: write calibration = ...)" if spec.source in CALIBRATION else ""
            raise located(config, spec, InputError(f"{unknown_name('baseline', spec.source, BASELINES)}{hint}"))
        if spec.kind == "baseline":
            defaults = {**COMMON_DEFAULTS, **BASELINES.get(spec.source).DEFAULTS}  # text_encoder, text_steps too
            for option in spec.options:
                if option not in defaults:
                    raise located(config, spec, unknown_name(f"option of baseline {spec.source!r}", option, defaults))
        if spec.kind == "calibration" and spec.source not in CALIBRATION:
            raise located(config, spec, unknown_name("calibration generator", spec.source, CALIBRATION))
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


def code_digest(module: ModuleType) -> str:
    """Digest of the code of the package holding `module` (its .py files, sorted by name): caches built
    by that code are rebuilt when it changes. Comments, docstrings and layout do not count (the syntax
    tree without docstrings is hashed), so documenting the code does not retrain every baseline."""
    folder = Path(module.__file__).parent
    return content_key([(p.name, _code_only(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.py"))])


def _code_only(source: str) -> str:
    """The syntax tree of `source` with every docstring removed, as text."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


def baselines_code_digest() -> str:
    """code_digest of the `baselines` package."""
    import baselines.registry  # a module has a __file__ (the package may be a namespace in editable installs)

    return code_digest(baselines.registry)


def _training_budget(spec: ModelSpec) -> int:
    from xmbench.registry import BASELINES

    return int(spec.steps or spec.options.get("steps") or BASELINES.get(spec.source).DEFAULTS["steps"])


def _latest_step(run_dir: Path) -> int:
    try:
        return int(json.loads((run_dir / "latest.json").read_text())["step"])
    except (FileNotFoundError, KeyError, ValueError):
        return 0


def _curves(run_dir: Path) -> list[dict[str, Any]]:
    try:
        return json.loads((run_dir / "curves.json").read_text())
    except (FileNotFoundError, ValueError):
        return []


def prepare_baseline(
    spec: ModelSpec, config: RunConfig, suite: Suite, train_root: Path, device: torch.device, quiet: bool
) -> PreparedModel:
    """Train baseline `spec` (or reuse its finished training run) and hash its final checkpoint."""
    from baselines.checkpoint import checkpoint_hash, load_checkpoint
    from baselines.training import train_baseline

    steps = _training_budget(spec)
    options = {k: v for k, v in spec.options.items() if k != "steps"}
    extra = {k: config.train_options[k] for k in ("train_limit", "checkpoint_every") if k in config.train_options}
    # the baselines' code joins the key: a changed architecture, default or training loop trains afresh;
    # so does the number of processes (DDP trains on a global batch of world size x batch_size)
    world = [dist.world_size()] if dist.world_size() > 1 else []
    key = content_key(
        "train",
        spec.source,
        baselines_code_digest(),
        options,
        steps,
        spec.seed,
        suite.protocol(),
        extra.get("train_limit"),
        *world,
    )
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
        training=training,
        train_s=time.perf_counter() - t0,
        trained_now=trained_now,
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


def prepare_model(
    spec: ModelSpec, config: RunConfig, suite: Suite, train_root: Path, device: torch.device, quiet: bool
) -> PreparedModel:
    """Resolve one model: baseline (train or reuse), checkpoint, import path or calibration generator."""
    try:
        if spec.kind == "baseline":
            return prepare_baseline(spec, config, suite, train_root, device, quiet)
        if spec.kind == "calibration":
            from baselines.registry import get_calibration

            digest = content_key("calibration", spec.source, suite.protocol(), spec.options)
            return PreparedModel(
                spec, digest, CALIBRATION_ROLES[spec.source], lambda: get_calibration(spec.source, suite)
            )
        if spec.kind == "checkpoint":
            from baselines.checkpoint import checkpoint_hash, load_checkpoint

            digest = checkpoint_hash(spec.source)
            return PreparedModel(
                spec, digest, None, lambda: load_checkpoint(spec.source, device=device), checkpoint_sha256=digest
            )
        from xmbench.generator import load_generator

        digest = content_key("import", spec.source, spec.options, _module_digest(spec.source))
        return PreparedModel(
            spec,
            digest,
            None,
            lambda: load_generator(spec.source, resolution=suite.resolution, **spec.options),
            info={"cache_note": "keyed by import path, options and the module file's hash"},
        )
    except XmbenchError as e:
        if str(e).startswith(config.path):
            raise
        raise located(config, spec, e) from None
