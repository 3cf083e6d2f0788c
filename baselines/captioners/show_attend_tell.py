"""Show, Attend and Tell (Xu et al. 2015), soft attention: at every word the LSTM reads a
weighted average of the CNN's feature grid, scaled by a gating scalar beta; a deep output layer
predicts the word; the doubly stochastic regulariser pushes every grid cell's attention, summed over
the caption, towards one.

Deviations from the paper: the CNN is small and trained from scratch with the decoder (the paper
uses a fixed ImageNet VGG), its grid is 8x8 (the paper: 14x14), and each grid cell's feature gets a
learned position embedding, so the attended average says where it looked (the captions name grid
positions and relations); no dropout.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from baselines.captioners.base import TrainableCaptioner, teacher_inputs, token_loss
from baselines.captioners.decoding import State
from baselines.captioners.nets import ConvEncoder
from baselines.captioners.vocab import PAD

Tensor = torch.Tensor


class ShowAttendTell(TrainableCaptioner):
    """CNN grid -> soft attention (gated) -> LSTM -> deep output. Options: width (CNN), grid (side of
    the attended grid), embed (word embedding), hidden (LSTM), attention (attention MLP size),
    alpha_reg (weight of the doubly stochastic regulariser), batch_size, steps and the common ones."""

    name: ClassVar[str] = "show-attend-tell"
    summary: ClassVar[str] = "Show, Attend and Tell (Xu 2015): soft attention over the CNN grid, gating scalar"
    VERSION: ClassVar[int] = 2
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "width": 16,
        "grid": 8,
        "embed": 64,
        "hidden": 128,
        "attention": 64,
        "alpha_reg": 1.0,
        "batch_size": 64,
        "steps": 10000,
    }

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__(vocab, resolution, max_len, **options)
        o = self.options
        encoder = ConvEncoder(resolution, o["width"], grid=o["grid"])
        d, h, e, a = encoder.channels, o["hidden"], o["embed"], o["attention"]
        self.nets.update(
            {
                "encoder": encoder,
                "position": nn.Embedding(o["grid"] ** 2, d),
                "init_h": nn.Linear(d, h),
                "init_c": nn.Linear(d, h),
                "att_features": nn.Linear(d, a),
                "att_hidden": nn.Linear(h, a),
                "att_score": nn.Linear(a, 1),
                "gate": nn.Linear(h, 1),
                "words": nn.Embedding(len(self.tokenizer), e),
                "lstm": nn.LSTMCell(e + d, h),
                "out_hidden": nn.Linear(h, e),
                "out_context": nn.Linear(d, e),
                "out": nn.Linear(e, len(self.tokenizer)),
            }
        )
        self.finish_init()

    def annotations(self, images: Tensor) -> Tensor:
        """float (N, grid*grid, channels): the CNN grid's cells with their position embeddings."""
        grid = self.nets["encoder"](images).flatten(2).transpose(1, 2)
        return grid + self.nets["position"](torch.arange(grid.shape[1], device=grid.device))

    def _start(self, feats: Tensor) -> State:
        mean = feats.mean(1)
        return (
            torch.tanh(self.nets["init_h"](mean)),
            torch.tanh(self.nets["init_c"](mean)),
            feats,
            self.nets["att_features"](feats),
        )

    def _attend(self, h: Tensor, feats: Tensor, keys: Tensor) -> tuple[Tensor, Tensor]:
        """Gated context float (B, channels) and attention weights float (B, cells)."""
        scores = self.nets["att_score"](torch.tanh(keys + self.nets["att_hidden"](h)[:, None])).squeeze(2)
        alpha = torch.softmax(scores, 1)
        beta = torch.sigmoid(self.nets["gate"](h))
        return beta * (alpha[:, :, None] * feats).sum(1), alpha

    def _word(self, word: Tensor, state: State) -> tuple[Tensor, State, Tensor]:
        """Logits (B, V), the new state and the attention weights for embedded previous words (B, embed)."""
        h, c, feats, keys = state
        context, alpha = self._attend(h, feats, keys)
        h, c = self.nets["lstm"](torch.cat([word, context], 1), (h, c))
        logits = self.nets["out"](word + self.nets["out_hidden"](h) + self.nets["out_context"](context))
        return logits, (h, c, feats, keys), alpha

    def loss(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        state = self._start(self.annotations(images))
        words = self.nets["words"](teacher_inputs(ids))
        mask = (ids != PAD).float()
        logits, attention = [], 0.0
        for t in range(ids.shape[1]):
            step_logits, state, alpha = self._word(words[:, t], state)
            logits.append(step_logits)
            attention = attention + alpha * mask[:, t, None]
        ce = token_loss(torch.stack(logits, 1), ids)
        regulariser = ((1.0 - attention) ** 2).mean()
        loss = ce + self.options["alpha_reg"] * regulariser
        return loss, {"loss": ce.item(), "attention_reg": regulariser.item()}

    def decoder_start(self, images: Tensor) -> State:
        return self._start(self.annotations(images))

    def decoder_step(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        logits, state, _ = self._word(self.nets["words"](tokens), state)
        return torch.log_softmax(logits, 1), state
