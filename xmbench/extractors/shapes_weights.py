"""Safetensors files of the shapes evaluators' networks: what `shapes_v1.weights` and
`shapes_skills_v1.weights` share.

A file holds the network's state dict; its metadata holds the format tag, the network's config and the
tokenizer vocabulary as JSON. Each suite keeps its own format tag, file checks and messages' wording.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save

from xmbench.atomic import atomic_write_bytes
from xmbench.errors import WeightsError
from xmbench.filehash import sha256_file
from xmbench.text.tokenizer import WordTokenizer


def save_net(model: nn.Module, tokenizer: WordTokenizer, path: str | Path, format_tag: str) -> str:
    """Write `model` (with a `cfg` that has `to_json`) and `tokenizer` atomically as safetensors.

    Args:
        model: the network; its state dict is saved, its `cfg` goes to the metadata.
        tokenizer: the caption tokenizer, saved in the metadata.
        path: the file to write.
        format_tag: the metadata's "format".

    Returns:
        The file's sha256.

    Example:
        >>> import tempfile
        >>> from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
        >>> path = Path(tempfile.mkdtemp()) / "net.safetensors"
        >>> digest = save_net(ShapesNet(NetConfig(vocab_size=5)), WordTokenizer(["a", "b"]), path, "demo")
        >>> read_net_file(path, "demo")[0]["format"], len(digest)
        ('demo', 64)
    """
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    metadata = {
        "format": format_tag,
        "config": json.dumps(model.cfg.to_json(), sort_keys=True),
        "tokenizer": json.dumps(tokenizer.to_json()),
    }
    atomic_write_bytes(path, save(state, metadata=metadata))
    return sha256_file(path)


def read_net_file(path: Path, label: str) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """(metadata, state dict) of a safetensors file; WeightsError "<label> weights ... are not a readable
    safetensors file" when it cannot be read.

    Example:
        >>> read_net_file(Path("no-such.safetensors"), "demo")
        Traceback (most recent call last):
        ...
        xmbench.errors.WeightsError: demo weights no-such.safetensors are not a readable safetensors file (...)
    """
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"{label} weights {path} are not a readable safetensors file ({e})") from None
    return metadata, state


def build_net(
    metadata: dict[str, str],
    state: dict[str, torch.Tensor],
    path: Path,
    config_type: Any,
    net_type: Any,
    label: str,
    retrain: str,
) -> tuple[Any, WordTokenizer]:
    """The network in eval mode and its tokenizer from a file's metadata and state dict.

    Args:
        metadata: the file's metadata ("config", "tokenizer").
        state: the file's state dict.
        path: the file, for messages.
        config_type: the network's config class (with `from_json`).
        net_type: the network class, built from a config.
        label: the weights' name in messages, e.g. "shapes-v1".
        retrain: the advice that ends a message, e.g. "retrain with `xmbench train-evaluator`".

    Returns:
        (model in eval mode, tokenizer); WeightsError for unreadable metadata or another architecture.

    Example:
        >>> from xmbench.extractors.shapes_v1.network import NetConfig, ShapesNet
        >>> build_net({}, {}, Path("x.safetensors"), NetConfig, ShapesNet, "demo", "retrain it")
        Traceback (most recent call last):
        ...
        xmbench.errors.WeightsError: demo weights x.safetensors have unreadable metadata ('config'); retrain it
    """
    try:
        cfg = config_type.from_json(json.loads(metadata["config"]))
        tokenizer = WordTokenizer.from_json(json.loads(metadata["tokenizer"]))
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{label} weights {path} have unreadable metadata ({e}); {retrain}") from None
    model = net_type(cfg)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        diff = sorted(set(expected.items()) ^ set(found.items()))[:3]
        raise WeightsError(
            f"{label} weights {path} do not match the architecture (first differences: {diff}); {retrain}"
        )
    model.load_state_dict(state)
    return model.eval(), tokenizer
