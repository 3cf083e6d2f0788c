"""The baselines' caption encoder: word embeddings + bidirectional GRU -> one sentence vector.

It is owned by the reference generators and trained with them (through the discriminator's
matching-aware loss); it never sees the evaluator's encoder or weights.
"""

from __future__ import annotations

import torch
from torch import nn

from xmbench.text.tokenizer import PAD


class CaptionEncoder(nn.Module):
    """ids int64 (N,L) padded with PAD -> float (N, dim) sentence embeddings.

    A bidirectional GRU over word embeddings; the sentence vector is the concatenation of the last
    forward and backward states (so word order, e.g. "red circle left of blue square", is kept),
    projected to `dim`.
    """

    def __init__(self, vocab_size: int, dim: int = 128, word_dim: int = 64, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, word_dim, padding_idx=PAD)
        self.rnn = nn.GRU(word_dim, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, dim)
        self.dim = dim

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        lengths = (ids != PAD).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)  # (2, N, hidden)
        return self.proj(torch.cat([h[0], h[1]], dim=1))
