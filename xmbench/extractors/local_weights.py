"""Weights of the standard extractors: found locally, hashed, loaded without unpickling code.

A weights file is `weights=PATH` (the --weights option) or $XMBENCH_HOME/weights/<file name>. When
that is absent, the standard weights (xmbench.extractors.standard_weights) are fetched and verified
unless offline; other files are the user's to place, and the error names the file, where it goes and
where it comes from.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open

from xmbench.errors import WeightsError
from xmbench.extractors.standard_weights import CATALOGUE, fetch
from xmbench.home import xmbench_home


def resolve_weights(weights: str | os.PathLike | None, *, extractor: str, file_name: str, source: str) -> Path:
    """The weights file of `extractor`: `weights` if given, else $XMBENCH_HOME/weights/`file_name`.

    source: where the file comes from (text for the error). A missing file that is one of the standard
    weights of `extractor` is fetched (see xmbench.extractors.standard_weights). Raises WeightsError.
    """
    if weights is not None:
        path = Path(weights)
        if path.is_dir():
            raise WeightsError(
                f"extractor {extractor!r}: {str(path)!r} is a folder; pass the path of the file {file_name} in it"
            )
        if not path.is_file():
            raise WeightsError(
                f"extractor {extractor!r}: weights file {str(path)!r} not found; pass the path of "
                f"{file_name} (from {source})"
            )
        return path
    path = xmbench_home() / "weights" / file_name
    standard = CATALOGUE.get(extractor)
    if standard is not None and standard.file_name == file_name:
        return fetch(extractor)
    if not path.is_file():
        raise WeightsError(
            f"extractor {extractor!r} needs {file_name}: put it at {path} (or pass --weights PATH); "
            f"it comes from {source}"
        )
    return path


#: what torch.load / safetensors raise on a file they cannot read as tensors
UNREADABLE = (RuntimeError, pickle.UnpicklingError, OSError, ValueError, EOFError, SafetensorError)


def unreadable_error(error: BaseException, path: Path, extractor: str) -> WeightsError:
    """One line for a weights file that safetensors / torch.load(weights_only=True) refused."""
    text = str(error).strip()
    first = text.splitlines()[0][:160] if text else error.__class__.__name__
    kind = "a TorchScript archive (code is not loaded)" if "TorchScript" in text else f"unreadable ({first})"
    return WeightsError(
        f"extractor {extractor!r}: {path} is {kind}; give a state dict as .safetensors or a torch file of tensors only"
    )


def load_state_dict(path: Path, extractor: str) -> dict[str, torch.Tensor]:
    """A flat {name: tensor} state dict from .safetensors, or from a torch file with weights_only=True
    (a {"state_dict": ...} wrapper is unwrapped). Raises WeightsError on anything else."""
    try:
        if path.suffix == ".safetensors":
            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except UNREADABLE as e:
        raise unreadable_error(e, path, extractor) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"extractor {extractor!r}: {path} is not a state dict of tensors")
    return {str(k): v for k, v in state.items()}


def state_shapes(path: Path, extractor: str) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of a weights file, cheaply (safetensors header; torch file memory-mapped).

    For checking a file's architecture before building a large network. Raises WeightsError.
    """
    try:
        if path.suffix == ".safetensors":
            with safe_open(str(path), framework="pt") as f:
                return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118 - safe_open is not iterable
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as e:  # files in torch's legacy (non-zip) format cannot be memory-mapped
            if "mmap" not in str(e):
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except UNREADABLE as e:
        raise unreadable_error(e, path, extractor) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"extractor {extractor!r}: {path} is not a state dict of tensors")
    return {str(k): tuple(v.shape) for k, v in state.items()}


def check_signature(
    shapes: dict[str, tuple[int, ...]],
    signature: dict[str, tuple[int, ...]],
    path: Path,
    extractor: str,
    architecture: str,
) -> None:
    """WeightsError unless every tensor named in `signature` is in `shapes` with that shape."""
    for name, shape in signature.items():
        if shapes.get(name) != shape:
            found = "missing" if name not in shapes else f"shape {shapes[name]}"
            raise WeightsError(
                f"extractor {extractor!r}: {path} does not fit {architecture} ({name!r} is {found}, "
                f"expected {shape}); wrong file?"
            )


def fit_error(error: RuntimeError, path: Path, extractor: str, architecture: str) -> WeightsError:
    """One line from the RuntimeError a strict load_state_dict raises on a file of another architecture."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = (lines[1] if len(lines) > 1 else lines[0] if lines else "state dict mismatch")[:200]
    return WeightsError(f"extractor {extractor!r}: {path} does not fit {architecture} ({detail}); wrong file?")
