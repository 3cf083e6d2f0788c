"""The captioners' word vocabulary: caption <-> token ids, with an end token and commas kept.

Ids: 0 padding, 1 end (also the decoder's start input), 2 unknown, words from 3. Commas are tokens
so that decoded captions keep the punctuation some grammar templates carry ("a red circle, small,
placed in the top left"). The word list is JSON-able, so checkpoints hold no pickles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import torch

PAD, END, UNK = 0, 1, 2
_FIRST_WORD = 3
_TOKEN = re.compile(r"[a-z0-9]+|,")


def tokens(caption: str) -> list[str]:
    """Lower-cased word and comma tokens of a caption.

    Example:
        >>> tokens("A red circle, small, placed in the top left")
        ['a', 'red', 'circle', ',', 'small', ',', 'placed', 'in', 'the', 'top', 'left']
    """
    return _TOKEN.findall(caption.lower())


def detokenize(words: Iterable[str]) -> str:
    """Tokens back to a caption: words joined by spaces, commas attached to the word before.

    Example:
        >>> detokenize(["a", "red", "circle", ",", "small"])
        'a red circle, small'
    """
    return " ".join(words).replace(" ,", ",")


class CaptionVocab:
    """Maps captions to END-terminated id rows and back. vocab: words in id order from id 3.

    Example:
        >>> v = CaptionVocab.from_captions(["a red circle", "a blue square"])
        >>> v.encode(["a red circle"], max_len=5).tolist()
        [[3, 6, 5, 1, 0]]
        >>> v.decode(torch.tensor([[3, 6, 5, 1, 0]]))
        ['a red circle']
    """

    def __init__(self, vocab: list[str]) -> None:
        self.vocab = list(vocab)
        self._ids = {w: i + _FIRST_WORD for i, w in enumerate(self.vocab)}
        self._words = ["", "", "<unk>", *self.vocab]

    @classmethod
    def from_captions(cls, captions: Iterable[str]) -> CaptionVocab:
        """Vocabulary of every token seen, sorted for determinism."""
        return cls(sorted({t for c in captions for t in tokens(c)}))

    def __len__(self) -> int:
        """Number of ids, padding, end and unknown included."""
        return len(self.vocab) + _FIRST_WORD

    def max_tokens(self, captions: Iterable[str]) -> int:
        """Longest caption in tokens, plus one for the end token."""
        return max(len(tokens(c)) for c in captions) + 1

    def encode(self, captions: list[str], max_len: int) -> torch.Tensor:
        """int64 (N, max_len): token ids, then END, then PAD; longer captions are cut (END kept last)."""
        out = torch.full((len(captions), max_len), PAD, dtype=torch.int64)
        for row, caption in enumerate(captions):
            ids = [self._ids.get(t, UNK) for t in tokens(caption)][: max_len - 1] + [END]
            out[row, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
        return out

    def decode(self, ids: torch.Tensor) -> list[str]:
        """Captions from int (N, L) id rows, each read up to its first END or PAD."""
        out = []
        for row in ids.tolist():
            words = []
            for i in row:
                if i in (END, PAD):
                    break
                words.append(self._words[i] if 0 <= i < len(self._words) else "<unk>")
            out.append(detokenize(words))
        return out
