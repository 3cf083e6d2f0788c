"""Reference checkpoints that ship inside the package (baselines/weights/).

Each shipped model NAME is two files in baselines/weights/:

- `NAME.safetensors`: the model's weights, in the format its loader reads (for the text->image GANs
  an xmbench baseline checkpoint's model.safetensors, config in its metadata);
- `NAME.json`: `format` (FORMAT), `name`, `task`, `file`, `sha256` and `size_bytes` of the
  safetensors file, `recipe` (what trains it: baseline, options, steps, batch_size, seed, suite
  protocol, baseline_version, xmbench_version), `cost` (cpu_s, wall_s, device, threads, torch,
  machine), `figures` (its measured metrics and the protocol they were measured with) and `curve`
  (the training curve's rows).

The sha256 in the JSON is checked every time the weights are opened: a wrong, truncated or foreign
file is one WeightsError line naming the file and the fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xmbench.errors import InputError, WeightsError, unknown_name
from xmbench.filehash import sha256_file

#: the folder the shipped checkpoints live in (package data)
SHIPPED_DIR = Path(__file__).parent / "weights"
FORMAT = "xmbench-shipped-checkpoint/1"
#: recipe keys every shipped JSON holds
RECIPE_KEYS = ("baseline", "options", "steps", "batch_size", "seed", "suite", "baseline_version", "xmbench_version")


@dataclass(frozen=True)
class Shipped:
    """One shipped checkpoint: its JSON (`meta`) and the path of its safetensors file."""

    name: str
    meta: dict[str, Any]
    file: Path

    @property
    def recipe(self) -> dict[str, Any]:
        """The recipe that trained it (see RECIPE_KEYS)."""
        return self.meta["recipe"]

    @property
    def sha256(self) -> str:
        """The recorded sha256 hex digest of the safetensors file."""
        return self.meta["sha256"]


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise WeightsError(
            f"shipped checkpoint record {path} is unreadable ({type(e).__name__}); reinstall xmbench"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise WeightsError(f"{path} is not a shipped checkpoint record (format {found!r}, expected {FORMAT!r})")
    missing = [k for k in ("name", "file", "sha256", "recipe") if k not in meta]
    missing += [f"recipe.{k}" for k in RECIPE_KEYS if k not in meta.get("recipe", {})]
    if missing:
        raise WeightsError(f"shipped checkpoint record {path} lacks {', '.join(missing)}; reinstall xmbench")
    return meta


def shipped_names(folder: str | os.PathLike = SHIPPED_DIR) -> list[str]:
    """Names of the checkpoints shipped in `folder`, sorted.

    Example:
        >>> {"gan-int-cls", "stackgan", "dfgan"} <= set(shipped_names())
        True
    """
    return sorted(p.stem for p in Path(folder).glob("*.json"))


def get_shipped(name: str, folder: str | os.PathLike = SHIPPED_DIR) -> Shipped:
    """The shipped checkpoint `name` (its JSON read and checked; the weights are not opened).

    Raises InputError for an unknown name (suggesting close ones), WeightsError for a foreign JSON.

    Example:
        >>> get_shipped("dfgan").recipe["baseline"]
        'dfgan'
    """
    folder = Path(folder)
    path = folder / f"{name}.json"
    if not path.is_file():
        raise unknown_name("shipped checkpoint", name, shipped_names(folder))
    meta = _read_meta(path)
    return Shipped(name, meta, folder / meta["file"])


def verified_file(shipped: Shipped) -> Path:
    """The shipped safetensors file after checking its sha256 against the JSON.

    Raises WeightsError (one line) when the file is missing or its bytes are not the recorded ones.

    Example:
        >>> verified_file(get_shipped("dfgan")).suffix
        '.safetensors'
    """
    if not shipped.file.is_file():
        raise WeightsError(
            f"shipped checkpoint {shipped.file} is missing; reinstall xmbench or retrain it with "
            f"`xmbench train {shipped.recipe['baseline']} --recipe {shipped.name}`"
        )
    actual = sha256_file(shipped.file)
    if actual != shipped.sha256:
        raise WeightsError(
            f"shipped checkpoint {shipped.file} has sha256 {actual[:12]}..., expected {shipped.sha256[:12]}...; "
            "the file is corrupt or not the shipped one: reinstall xmbench"
        )
    return shipped.file


def find_shipped(
    baseline: str,
    options: dict[str, Any],
    steps: int,
    seed: int,
    suite_protocol: dict[str, Any],
    folder: str | os.PathLike = SHIPPED_DIR,
) -> Shipped | None:
    """The shipped checkpoint whose recipe is exactly this training, or None.

    options: the baseline's resolved options (defaults overridden by the user's), without `steps`;
    suite_protocol: the suite's `protocol()`. A recipe matches when baseline, options, steps, seed
    and suite protocol are all equal (the version fields are not compared: they say which code
    trained the checkpoint).
    """
    for name in shipped_names(folder):
        candidate = get_shipped(name, folder)
        recipe = candidate.recipe
        if (recipe["baseline"], recipe["options"], recipe["steps"], recipe["seed"], recipe["suite"]) == (
            baseline,
            options,
            steps,
            seed,
            suite_protocol,
        ):
            return candidate
    return None


def training_arguments(recipe: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of baselines.train_baseline that reproduce `recipe` (suite passed as its name
    and resolution options: `suite`, `suite_options`).

    Raises InputError when the recipe is inconsistent (batch_size differing from its options').

    Example:
        >>> args = training_arguments(get_shipped("dfgan").recipe)
        >>> args["name"], args["steps"] == get_shipped("dfgan").recipe["steps"]
        ('dfgan', True)
    """
    options = dict(recipe["options"])
    if options.get("batch_size", recipe["batch_size"]) != recipe["batch_size"]:
        raise InputError(
            f"recipe of {recipe['baseline']!r} has batch_size {recipe['batch_size']} but options say "
            f"{options['batch_size']}; fix the shipped JSON"
        )
    suite = recipe["suite"]
    return {
        "name": recipe["baseline"],
        "suite": suite["suite"],
        "suite_options": {"resolution": suite["resolution"]},
        "steps": recipe["steps"],
        "seed": recipe["seed"],
        "options": options,
    }


def recipe_from_run(run_dir: str | os.PathLike, step: int | None = None) -> tuple[Path, dict[str, Any]]:
    """(checkpoint folder, recipe) of step `step` (default: the latest) of an `xmbench train` run folder."""
    import xmbench
    from baselines.checkpoint import read_config
    from baselines.registry import baseline_class

    run_dir = Path(run_dir)
    step = step or json.loads((run_dir / "latest.json").read_text())["step"]
    checkpoint = run_dir / "checkpoints" / f"step-{step:07d}"
    config = read_config(checkpoint)
    options = {k: v for k, v in config["options"].items() if k != "steps"}
    recipe = {
        "baseline": config["baseline"],
        "options": options,
        "steps": step,
        "batch_size": options["batch_size"],
        "seed": config["seed"],
        "suite": config["suite"],
        "baseline_version": getattr(baseline_class(config["baseline"]), "VERSION", None),
        "xmbench_version": xmbench.__version__,
    }
    return checkpoint, recipe


def _selection(curve: list[dict[str, Any]]) -> dict[str, Any]:
    """{"selection": how the shipped step was chosen} when the curve holds validation evaluations, else {}."""
    from baselines.plateau import RULE, plateau_step
    from baselines.progress import PROGRESS_KEYS

    keys = [k for k in PROGRESS_KEYS if any(k in r for r in curve)]
    if not keys:
        return {}
    return {"selection": {"metric": keys[0], "plateau_step": plateau_step(curve, keys[0]), "rule": RULE}}


def write_shipped(
    run_dir: str | os.PathLike,
    name: str,
    cost: dict[str, Any],
    figures: dict[str, Any],
    step: int | None = None,
    task: str = "text-to-image",
    folder: str | os.PathLike = SHIPPED_DIR,
) -> Shipped:
    """Ship step `step` (default: the latest) of a GAN training run as `folder`/NAME.safetensors + .json.

    The weights are the checkpoint's model.safetensors with its recorded `options.steps` set to the
    step shipped (the optimiser state is not shipped). cost: at least cpu_s, device and threads;
    figures: the measured metrics and their protocol. Returns the new entry, hash-checked.
    """
    import safetensors
    import safetensors.torch

    from xmbench.atomic import atomic_write_bytes, atomic_write_json

    checkpoint, recipe = recipe_from_run(run_dir, step)
    with safetensors.safe_open(str(checkpoint / "model.safetensors"), framework="pt") as f:
        config = json.loads((f.metadata() or {})["xmbench"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open is not iterable
    config["options"]["steps"] = recipe["steps"]
    folder = Path(folder)
    file = folder / f"{name}.safetensors"
    atomic_write_bytes(file, safetensors.torch.save(tensors, metadata={"xmbench": json.dumps(config)}))
    curves = Path(run_dir) / "curves.json"
    curve = [r for r in json.loads(curves.read_text()) if r["step"] <= recipe["steps"]] if curves.exists() else []
    meta = {
        "format": FORMAT,
        "name": name,
        "task": task,
        "file": file.name,
        "sha256": sha256_file(file),
        "size_bytes": file.stat().st_size,
        "recipe": recipe,
        "cost": cost,
        "figures": figures,
        "curve": curve,
        **_selection(curve),
    }
    atomic_write_json(folder / f"{name}.json", meta)
    shipped = get_shipped(name, folder)
    verified_file(shipped)
    return shipped
