"""Checkpoints: one folder per saved step holding

- `model.safetensors`: every weight of the baseline (plain safetensors; its metadata field
  "xmbench" holds the JSON config, so the file alone rebuilds the model),
- `optimizer.safetensors`: Adam state tensors; param groups as JSON in the metadata,
- `config.json`: the same config, human-readable.

The folder is written under a temporary name and renamed, so a kill never leaves half a checkpoint.
A run folder points to its newest checkpoint with `latest.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch

from xmbench.atomic import atomic_write_bytes, atomic_write_json
from xmbench.errors import CacheRepairWarning, InputError, WeightsError
from xmbench.filehash import sha256_file

MODEL_FILE, OPTIMIZER_FILE, CONFIG_FILE, LATEST_FILE = (
    "model.safetensors",
    "optimizer.safetensors",
    "config.json",
    "latest.json",
)
FORMAT = "xmbench-baseline-checkpoint/1"
#: option values of checkpoints written before these options existed (their behaviour then)
LEGACY_OPTIONS = {"text_encoder": "joint", "d_projection": False, "ma_gp_batch": 0}


def _optimizer_tensors(optimizers: dict[str, torch.optim.Optimizer]) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, meta = {}, {}
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for idx, state in sd["state"].items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"{name}/{idx}/{key}"] = value.detach().cpu().contiguous()
                else:
                    scalars.setdefault(str(idx), {})[key] = value
        meta[name] = {"param_groups": sd["param_groups"], "scalars": scalars}
    return tensors, meta


def _optimizer_state(tensors: dict[str, torch.Tensor], meta: dict, name: str) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        opt, idx, field = key.split("/", 2)
        if opt == name:
            state.setdefault(int(idx), {})[field] = value
    for idx, fields in meta[name]["scalars"].items():
        state.setdefault(int(idx), {}).update(fields)
    return {"state": state, "param_groups": meta[name]["param_groups"]}


def save_checkpoint(model: Any, folder: str | os.PathLike, info: dict[str, Any]) -> Path:
    """Write `model` (a Baseline or a TrainableCaptioner) and its optimisers to `folder` atomically.

    info: JSON-able run facts recorded beside the config (step, seed, suite protocol, ...). Returns the folder.
    """
    folder = Path(folder)
    config = {"format": FORMAT, **model.config(), **info}
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    opt_tensors, opt_meta = _optimizer_tensors(model.optimizers())
    tmp = folder.parent / f".{folder.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    atomic_write_bytes(tmp / MODEL_FILE, safetensors.torch.save(weights, metadata={"xmbench": json.dumps(config)}))
    atomic_write_bytes(
        tmp / OPTIMIZER_FILE, safetensors.torch.save(opt_tensors, metadata={"xmbench": json.dumps(opt_meta)})
    )
    atomic_write_json(tmp / CONFIG_FILE, config)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def read_latest(run_dir: str | os.PathLike) -> tuple[int, str] | None:
    """(step, checkpoint folder relative to `run_dir`) of a run folder's newest checkpoint; None if it has none.

    latest.json is trusted only when it is well formed and names a checkpoint folder that holds its
    model file; otherwise (damaged by a crash outside xmbench or by hand) the newest complete
    `checkpoints/step-N` folder is used, latest.json is rewritten to it, and one warning says so.

    Example:
        >>> import tempfile
        >>> read_latest(tempfile.mkdtemp()) is None
        True
    """
    run_dir = Path(run_dir)
    latest = run_dir / LATEST_FILE
    if not latest.exists():
        return None
    try:
        data = json.loads(latest.read_bytes()[:_LATEST_MAX_BYTES])
        step, folder = data["step"], data["checkpoint"]
        if isinstance(step, int) and isinstance(folder, str) and (run_dir / folder / MODEL_FILE).is_file():
            return step, folder
    except (ValueError, TypeError, KeyError, OSError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        pass
    found = _newest_complete(run_dir)
    what = f"using the newest complete checkpoint {found[1]}" if found else "no complete checkpoint: starting afresh"
    warnings.warn(f"{latest} is damaged; {what}", CacheRepairWarning, stacklevel=2)
    if found:
        atomic_write_json(latest, {"step": found[0], "checkpoint": found[1]})
    else:
        latest.unlink(missing_ok=True)
    return found


#: latest.json is a few dozen bytes; more is damage, not a pointer
_LATEST_MAX_BYTES = 4096


def _newest_complete(run_dir: Path) -> tuple[int, str] | None:
    steps = []
    for folder in (run_dir / "checkpoints").glob("step-*"):
        number = folder.name.removeprefix("step-")
        if number.isdigit() and (folder / MODEL_FILE).is_file():
            steps.append((int(number), f"checkpoints/{folder.name}"))
    return max(steps, default=None)


def checkpoint_file(path: str | os.PathLike) -> Path:
    """The model.safetensors of `path`: a run folder (its latest checkpoint), a checkpoint folder or the file."""
    path = Path(path)
    if path.is_dir() and (path / LATEST_FILE).exists():
        latest = read_latest(path)
        if latest is None:
            raise WeightsError(f"run folder {path} holds no complete checkpoint; train it again with `xmbench train`")
        path = path / latest[1]
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise WeightsError(f"no checkpoint at {path}; pass a run folder, a checkpoint folder or its {MODEL_FILE}")
    return path


def _read(file: Path) -> tuple[dict[str, torch.Tensor], dict]:
    try:
        with safetensors.safe_open(str(file), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open is not iterable
        return tensors, json.loads(meta["xmbench"])
    except Exception as e:
        raise WeightsError(
            f"checkpoint file {file} is truncated or corrupt ({type(e).__name__}); "
            "restore it or retrain with `xmbench train`"
        ) from None


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON config recorded in a checkpoint (see checkpoint_file for accepted paths)."""
    return _read(checkpoint_file(path))[1]


def checkpoint_hash(path: str | os.PathLike) -> str:
    """sha256 hex digest of the checkpoint's model.safetensors bytes (identifies the generator)."""
    return sha256_file(checkpoint_file(path))


def load_checkpoint(
    path: str | os.PathLike,
    baseline: str | None = None,
    resolution: int | None = None,
    device: str | torch.device = "cpu",
    optimizer: bool = False,
) -> Any:
    """Rebuild the model (Baseline or TrainableCaptioner) saved at `path` (see checkpoint_file) on `device`.

    baseline / resolution: when given, the checkpoint must match them (InputError otherwise).
    optimizer: also restore the optimisers' state (to resume training).
    """
    from baselines.registry import baseline_class

    file = checkpoint_file(path)
    tensors, config = _read(file)
    if config.get("format") != FORMAT:
        raise InputError(f"{file} is not an xmbench baseline checkpoint (format {config.get('format')!r})")
    if baseline is not None and config["baseline"] != baseline:
        raise InputError(
            f"checkpoint {file} is a {config['baseline']!r} model, not {baseline!r}; "
            "pass a checkpoint of that baseline or a fresh --out folder"
        )
    if resolution is not None and config["resolution"] != resolution:
        raise InputError(
            f"checkpoint {file} is {config['resolution']}x{config['resolution']}, the suite is "
            f"{resolution}x{resolution}; pass a checkpoint trained at that resolution"
        )
    cls = baseline_class(config["baseline"])
    legacy = {k: v for k, v in LEGACY_OPTIONS.items() if k in cls.defaults()}
    model = cls(config["vocab"], config["resolution"], config["max_len"], **{**legacy, **config["options"]})
    try:
        model.load_state_dict(tensors)
    except RuntimeError as e:
        raise WeightsError(f"checkpoint {file} does not fit its recorded config ({str(e).splitlines()[0]})") from None
    model.to(device)
    if optimizer:
        opt_tensors, opt_meta = _read(file.parent / OPTIMIZER_FILE)
        for name, opt in model.optimizers().items():
            opt.load_state_dict(_optimizer_state(opt_tensors, opt_meta, name))
    return model
