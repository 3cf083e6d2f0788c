"""Saving and loading shapes-skills-v1 weights: safetensors only, with hash and architecture checks.

The file holds the state dict; its metadata holds the format tag, the NetConfig and the tokenizer
vocabulary as JSON. A JSON beside it (same stem, `shapes_v1.weights.sidecar`) holds sha256, training
config, seed and the measured targets.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save

from xmbench.atomic import atomic_write_bytes
from xmbench.errors import WeightsError
from xmbench.extractors.shapes_skills_v1.network import NetConfig, SkillsNet
from xmbench.extractors.shapes_v1.weights import expected_hash
from xmbench.filehash import sha256_file
from xmbench.text.tokenizer import WordTokenizer

FORMAT = "xmbench-shapes-skills-v1"
#: the weights shipped inside the package
SHIPPED = Path(__file__).resolve().parent.parent / "weights" / "shapes-skills-v1.safetensors"
_RETRAIN = "retrain with `xmbench train-evaluator --suite shapes-skills`"


def save_weights(model: SkillsNet, tokenizer: WordTokenizer, path: str | Path) -> str:
    """Write the model atomically as safetensors; returns its sha256."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "config": json.dumps(model.cfg.to_json(), sort_keys=True),
        "tokenizer": json.dumps(tokenizer.to_json()),
    }
    atomic_write_bytes(path, save(state, metadata=metadata))
    return sha256_file(path)


def _checked_file(path: Path, sha256: str | None) -> str:
    if not path.is_file():
        raise WeightsError(
            f"shapes-skills-v1 weights not found at {path} (or not a file); {_RETRAIN} --out {path}, "
            "or reinstall xmbench (they ship in xmbench/extractors/weights/)"
        )
    actual = sha256_file(path)
    want = sha256 or expected_hash(path)
    if want is not None and actual != want:
        raise WeightsError(
            f"shapes-skills-v1 weights {path} have sha256 {actual[:12]}..., expected {want[:12]}...; "
            f"the file is corrupt or not the recorded one: restore it or {_RETRAIN}"
        )
    return actual


def load_weights(path: str | Path, sha256: str | None = None) -> tuple[SkillsNet, WordTokenizer, str]:
    """(model in eval mode, tokenizer, sha256) from a safetensors file.

    sha256: the hash the file must have (default: the one in the JSON beside it, if any).
    Raises WeightsError (one line) for a missing file, wrong hash, foreign format or wrong architecture.
    """
    path = Path(path)
    actual = _checked_file(path, sha256)
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"shapes-skills-v1 weights {path} are not a readable safetensors file ({e})") from None
    if metadata.get("format") != FORMAT:
        raise WeightsError(f"{path} is not a {FORMAT} weights file (format {metadata.get('format')!r})")
    try:
        cfg = NetConfig.from_json(json.loads(metadata["config"]))
        tokenizer = WordTokenizer.from_json(json.loads(metadata["tokenizer"]))
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"shapes-skills-v1 weights {path} have unreadable metadata ({e}); {_RETRAIN}") from None
    model = SkillsNet(cfg)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        diff = sorted(set(expected.items()) ^ set(found.items()))[:3]
        raise WeightsError(
            f"shapes-skills-v1 weights {path} do not match the architecture (first differences: {diff}); {_RETRAIN}"
        )
    model.load_state_dict(state)
    return model.eval(), tokenizer, actual
