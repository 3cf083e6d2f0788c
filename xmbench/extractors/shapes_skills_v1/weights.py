"""Saving and loading shapes-skills-v1 weights: safetensors only, with hash and architecture checks.

The file holds the state dict; its metadata holds the format tag, the NetConfig and the tokenizer
vocabulary as JSON. A JSON beside it (same stem, `shapes_v1.weights.sidecar`) holds sha256, training
config, seed and the measured targets.
"""

from __future__ import annotations

from pathlib import Path

from xmbench.errors import WeightsError
from xmbench.extractors.shapes_skills_v1.network import NetConfig, SkillsNet
from xmbench.extractors.shapes_v1.weights import expected_hash
from xmbench.extractors.shapes_weights import build_net, read_net_file, save_net
from xmbench.filehash import sha256_file
from xmbench.text.tokenizer import WordTokenizer

FORMAT = "xmbench-shapes-skills-v1"
#: the weights shipped inside the package
SHIPPED = Path(__file__).resolve().parent.parent / "weights" / "shapes-skills-v1.safetensors"
_RETRAIN = "retrain with `xmbench train-evaluator --suite shapes-skills`"


def save_weights(model: SkillsNet, tokenizer: WordTokenizer, path: str | Path) -> str:
    """Write the model atomically as safetensors; returns its sha256."""
    return save_net(model, tokenizer, path, FORMAT)


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
    metadata, state = read_net_file(path, "shapes-skills-v1")
    if metadata.get("format") != FORMAT:
        raise WeightsError(f"{path} is not a {FORMAT} weights file (format {metadata.get('format')!r})")
    model, tokenizer = build_net(metadata, state, path, NetConfig, SkillsNet, "shapes-skills-v1", _RETRAIN)
    return model, tokenizer, actual
