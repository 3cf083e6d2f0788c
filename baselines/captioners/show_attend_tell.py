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

from baselines.captioners.base import TrainableCaptioner, teacher_inputs, token_loss
from baselines.captioners.decoding import State
from baselines.captioners.nets import (
    ConvEncoder,
    attend_words,
    attention_decoder,
    attention_start,
    teacher_forced_attention,
)
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
        self.nets["encoder"] = encoder
        self.nets.update(
            attention_decoder(
                o["grid"] ** 2, encoder.channels, o["hidden"], o["embed"], o["attention"], len(self.tokenizer)
            )
        )
        self.finish_init()

    def annotations(self, images: Tensor) -> Tensor:
        """float (N, grid*grid, channels): the CNN grid's cells (before their position embeddings)."""
        return self.nets["encoder"](images).flatten(2).transpose(1, 2)

    def loss(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        state = attention_start(self.nets, self.annotations(images))
        words = self.nets["words"](teacher_inputs(ids))
        logits, attention = teacher_forced_attention(self.nets, state, words, (ids != PAD).float())
        ce = token_loss(logits, ids)
        regulariser = ((1.0 - attention) ** 2).mean()
        loss = ce + self.options["alpha_reg"] * regulariser
        return loss, {"loss": ce.item(), "attention_reg": regulariser.item()}

    def decoder_start(self, images: Tensor) -> State:
        return attention_start(self.nets, self.annotations(images))

    def decoder_step(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        logits, state, _ = attend_words(self.nets, self.nets["words"](tokens), state)
        return torch.log_softmax(logits, 1), state
