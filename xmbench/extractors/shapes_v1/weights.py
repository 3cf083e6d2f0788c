"""Saving and loading shapes-v1 weights: safetensors only, with hash and architecture checks.

The file holds the state dict; its metadata holds the format tag, the NetConfig and the tokenizer
vocabulary as JSON. A JSON beside it (same stem) holds sha256, training config, seed and the
measured targets.
"""

from __future__ import annotations

import json
from pathlib import Path

from xmbench.errors import WeightsError
from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
from xmbench.extractors.shapes_weights import build_net, read_net_file, save_net
from xmbench.filehash import sha256_file
from xmbench.text.tokenizer import WordTokenizer

FORMAT = "xmbench-shapes-v1"
#: the weights shipped inside the package
SHIPPED = Path(__file__).resolve().parent.parent / "weights" / "shapes-v1.safetensors"
_RETRAIN = "retrain with `xmbench train-evaluator`"


def save_weights(model: ShapesNet, tokenizer: WordTokenizer, path: str | Path) -> str:
    """Write the model atomically as safetensors; returns its sha256."""
    return save_net(model, tokenizer, path, FORMAT)


def sidecar(path: str | Path) -> Path:
    """The JSON beside a weights file: same stem, .json."""
    return Path(path).with_suffix(".json")


def expected_hash(path: Path) -> str | None:
    """sha256 recorded in the JSON beside `path`, if there is one."""
    side = sidecar(path)
    if not side.exists():
        return None
    try:
        recorded = json.loads(side.read_bytes()[: 1 << 20])
    except (OSError, ValueError):
        raise WeightsError(f"{side} (the hash record beside the weights) is unreadable; restore or delete it") from None
    sha = recorded.get("sha256") if isinstance(recorded, dict) else None
    if sha is not None and not isinstance(sha, str):
        raise WeightsError(f"{side}: 'sha256' must be a string; restore or delete the file")
    return sha


def load_weights(path: str | Path, sha256: str | None = None) -> tuple[ShapesNet, WordTokenizer, str]:
    """(model in eval mode, tokenizer, sha256) from a safetensors file.

    sha256: the hash the file must have (default: the one in the JSON beside it, if any).
    Raises WeightsError (one line) for a missing file, wrong hash, foreign format or wrong architecture.
    """
    path = Path(path)
    if not path.exists():
        raise WeightsError(
            f"shapes-v1 weights not found at {path}; recreate them with `xmbench train-evaluator "
            f"--out {path}` or reinstall xmbench (they ship in xmbench/extractors/weights/)"
        )
    if not path.is_file():
        raise WeightsError(f"shapes-v1 weights {path} is a folder or device, not a file; pass the .safetensors file")
    actual = sha256_file(path)
    want = sha256 or expected_hash(path)
    if want is not None and actual != want:
        raise WeightsError(
            f"shapes-v1 weights {path} have sha256 {actual[:12]}..., expected {want[:12]}...; "
            "the file is corrupt or not the recorded one: restore it or retrain with `xmbench train-evaluator`"
        )
    metadata, state = read_net_file(path, "shapes-v1")
    if metadata.get("format") != FORMAT:
        raise WeightsError(
            f"{path} is not a shapes-v1 weights file (format {metadata.get('format')!r}, expected {FORMAT!r})"
        )
    model, tokenizer = build_net(metadata, state, path, NetConfig, ShapesNet, "shapes-v1", _RETRAIN)
    return model, tokenizer, actual
