"""Saving and loading shapes-v1 weights: safetensors only, with hash and architecture checks.

The file holds the state dict; its metadata holds the format tag, the NetConfig and the tokenizer
vocabulary as JSON. A JSON beside it (same stem) holds sha256, training config, seed and the
measured targets.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save

from xmbench.atomic import atomic_write_bytes
from xmbench.errors import WeightsError
from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
from xmbench.filehash import sha256_file
from xmbench.text.tokenizer import WordTokenizer

FORMAT = "xmbench-shapes-v1"
#: the weights shipped inside the package
SHIPPED = Path(__file__).resolve().parent.parent / "weights" / "shapes-v1.safetensors"


def save_weights(model: ShapesNet, tokenizer: WordTokenizer, path: str | Path) -> str:
    """Write the model atomically as safetensors; returns its sha256."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "config": json.dumps(model.cfg.to_json(), sort_keys=True),
        "tokenizer": json.dumps(tokenizer.to_json()),
    }
    atomic_write_bytes(path, save(state, metadata=metadata))
    return sha256_file(path)


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
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"shapes-v1 weights {path} are not a readable safetensors file ({e})") from None
    if metadata.get("format") != FORMAT:
        raise WeightsError(
            f"{path} is not a shapes-v1 weights file (format {metadata.get('format')!r}, expected {FORMAT!r})"
        )
    try:
        cfg = NetConfig.from_json(json.loads(metadata["config"]))
        tokenizer = WordTokenizer.from_json(json.loads(metadata["tokenizer"]))
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(
            f"shapes-v1 weights {path} have unreadable metadata ({e}); retrain with `xmbench train-evaluator`"
        ) from None
    model = ShapesNet(cfg)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        diff = sorted(set(expected.items()) ^ set(found.items()))[:3]
        raise WeightsError(
            f"shapes-v1 weights {path} do not match the architecture (first differences: {diff}); "
            "retrain with `xmbench train-evaluator`"
        )
    model.load_state_dict(state)
    return model.eval(), tokenizer, actual
