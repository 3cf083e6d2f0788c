"""Pre-training the baselines' caption encoder on the suite's training captions.

The encoder (`xmbench.text.encoder.CaptionEncoder`) learns to predict each caption's attribute
record (per object slot: shape, colour, size, position; the relation; the object count) from its
sentence vector, with one linear softmax head per slot. It is then frozen and conditions G and D.
This replaces the papers' pre-trained char-CNN-RNN (Reed et al. 2016) / DAMSM (Xu et al. 2018)
encoders; it is owned by the baselines and never touches the evaluator's encoder or weights.

Cache file: `<baselines cache dir>/text-encoder-<key>.safetensors`, key = sha256 of the captions,
vocabulary, encoder shape and training settings, so the three baselines share one pre-training.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import safetensors.torch
import torch
import torch.nn.functional as F
from torch import nn

from xmbench.atomic import atomic_write_bytes
from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.seeding import derive_seed
from xmbench.text.encoder import CaptionEncoder
from xmbench.text.tokenizer import WordTokenizer

#: attribute keys of one object in a record, and the most objects a caption names
OBJECT_KEYS = ("shape", "colour", "size", "position")
MAX_OBJECTS = 2
NONE = "<none>"


def caption_records(suite: Suite, captions: list[str]) -> list[dict[str, Any]]:
    """The attribute record each caption describes ({"objects": [...], "relation": ...})."""
    if suite.name.split(":")[0] != "shapes":
        raise InputError(
            f"text_encoder='pretrained' needs attribute records, which suite {suite.name!r} "
            "does not parse from captions; pass text_encoder='joint'"
        )
    from xmbench.data.shapes.grammar import parse_caption

    return [parse_caption(c) for c in captions]


def slot_values(record: dict[str, Any]) -> dict[str, str]:
    """Flatten a record to categorical slots: "count", "relation", "<k>.<key>" (NONE when absent)."""
    objects = record["objects"][:MAX_OBJECTS]
    slots = {"count": str(len(objects)), "relation": str(record.get("relation") or NONE)}
    for k in range(MAX_OBJECTS):
        for key in OBJECT_KEYS:
            slots[f"{k}.{key}"] = str(objects[k].get(key, NONE)) if k < len(objects) else NONE
    return slots


def slot_targets(records: list[dict[str, Any]]) -> tuple[torch.Tensor, dict[str, list[str]]]:
    """int64 (N, S) class index per slot, and each slot's sorted class names (S slots)."""
    flat = [slot_values(r) for r in records]
    classes = {s: sorted({f[s] for f in flat}) for s in flat[0]} if flat else {}
    index = {s: {v: i for i, v in enumerate(vs)} for s, vs in classes.items()}
    targets = torch.tensor([[index[s][f[s]] for s in classes] for f in flat], dtype=torch.int64)
    return targets, classes


def _cache_key(captions: list[str], vocab: list[str], encoder: CaptionEncoder, settings: dict[str, Any]) -> str:
    h = hashlib.sha256()
    shape = {k: list(v.shape) for k, v in encoder.state_dict().items()}
    h.update(json.dumps({"vocab": vocab, "shape": shape, **settings}, sort_keys=True).encode())
    for c in captions:
        h.update(c.encode() + b"\n")
    return h.hexdigest()[:16]


def train_encoder(
    encoder: CaptionEncoder,
    ids: torch.Tensor,
    targets: torch.Tensor,
    n_classes: list[int],
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-2,
    seed: int = 0,
) -> dict[str, float]:
    """Train `encoder` in place (CPU) to predict `targets` (N,S) from `ids` (N,L); returns
    {"loss": final mean cross-entropy per slot, "accuracy": slot accuracy of the last batch,
    "seconds": wall time}."""
    heads = nn.ModuleList([nn.Linear(encoder.dim, c) for c in n_classes])
    opt = torch.optim.Adam([*encoder.parameters(), *heads.parameters()], lr=lr)
    gen = torch.Generator().manual_seed(derive_seed(seed, "text-pretrain"))
    t0 = time.perf_counter()
    loss, acc = torch.zeros(()), torch.zeros(())
    for _ in range(steps):
        idx = torch.randint(len(ids), (batch_size,), generator=gen)
        v = encoder(ids[idx])
        logits = [h(v) for h in heads]
        loss = sum(F.cross_entropy(lg, targets[idx, s]) for s, lg in enumerate(logits)) / len(heads)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            acc = torch.stack([(lg.argmax(1) == targets[idx, s]).float().mean() for s, lg in enumerate(logits)]).mean()
    return {"loss": loss.item(), "accuracy": float(acc), "seconds": time.perf_counter() - t0}


def pretrained_encoder_state(
    encoder: CaptionEncoder,
    tokenizer: WordTokenizer,
    max_len: int,
    suite: Suite,
    captions: list[str],
    steps: int,
    seed: int = 0,
    cache: bool = True,
) -> dict[str, torch.Tensor]:
    """The weights of `encoder` (not modified) after pre-training on `captions`, from the cache if
    there; the encoder's current weights are only its shape (training restarts from a seeded init)."""
    from baselines.data import cache_dir

    settings = {"steps": steps, "seed": seed, "objective": "attribute-slots/1"}
    path = cache_dir() / f"text-encoder-{_cache_key(captions, tokenizer.vocab, encoder, settings)}.safetensors"
    if cache and path.exists():
        try:
            return safetensors.torch.load_file(str(path))
        except Exception:  # a damaged cache file is rebuilt below
            pass
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "text-encoder-init"))
        fresh = CaptionEncoder(len(tokenizer), dim=encoder.dim)
        targets, classes = slot_targets(caption_records(suite, captions))
        train_encoder(
            fresh, tokenizer.encode(captions, max_len), targets, [len(v) for v in classes.values()], steps, seed=seed
        )
    state = {k: v.detach().contiguous() for k, v in fresh.state_dict().items()}
    if cache:
        atomic_write_bytes(path, safetensors.torch.save(state))
    return state
