"""A word-level tokenizer for caption encoders trained on a suite's captions.

Lower-cases, splits on letters/digits, maps words to ids by a fixed vocabulary. id 0 is padding,
id 1 unknown. The vocabulary is JSON-able so that checkpoints stay free of pickles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import torch

PAD, UNK = 0, 1
_WORD = re.compile(r"[a-z0-9]+")


def words(caption: str) -> list[str]:
    """Lower-cased word tokens of a caption."""
    return _WORD.findall(caption.lower())


class WordTokenizer:
    """Maps captions to padded id tensors. vocab: words in id order, starting at id 2."""

    def __init__(self, vocab: list[str]) -> None:
        self.vocab = list(vocab)
        self._ids = {w: i + 2 for i, w in enumerate(self.vocab)}

    @classmethod
    def from_captions(cls, captions: Iterable[str], min_count: int = 1) -> WordTokenizer:
        """Vocabulary of every word seen at least `min_count` times, sorted for determinism."""
        counts = Counter(w for c in captions for w in words(c))
        return cls(sorted(w for w, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        """Number of ids, padding and unknown included."""
        return len(self.vocab) + 2

    def encode(self, captions: list[str], max_len: int = 24) -> torch.Tensor:
        """int64 (N, max_len) ids, right-padded with PAD; longer captions are truncated."""
        out = torch.full((len(captions), max_len), PAD, dtype=torch.int64)
        for row, caption in enumerate(captions):
            ids = [self._ids.get(w, UNK) for w in words(caption)][:max_len]
            out[row, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
        return out

    def to_json(self) -> dict:
        return {"kind": "word", "vocab": self.vocab}

    @classmethod
    def from_json(cls, obj: dict) -> WordTokenizer:
        if obj.get("kind") != "word" or not isinstance(obj.get("vocab"), list):
            raise ValueError("not a WordTokenizer vocabulary")
        return cls(obj["vocab"])
