"""Show and Tell (Vinyals et al. 2015): a CNN image embedding is the LSTM's first input; the
decoder is trained by teacher forcing with cross-entropy and decodes by beam search.

Deviations from the paper: the CNN is small and trained from scratch with the decoder (the paper
fine-tunes an ImageNet Inception); its 4x4 feature grid is flattened rather than pooled, so the
image embedding keeps where things are (the captions name grid positions); and the image embedding is
layer-normalised (without it Adam grew it to a scale that saturated the LSTM's gates within 10 steps,
and colour and shape were never learned).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from baselines.captioners.base import TrainableCaptioner, teacher_inputs, token_loss
from baselines.captioners.decoding import State
from baselines.captioners.nets import ConvEncoder

Tensor = torch.Tensor


class ShowAndTell(TrainableCaptioner):
    """CNN -> image embedding (first LSTM input) -> LSTM -> words. Options: width (CNN), embed
    (image and word embedding size), hidden (LSTM units), batch_size, steps and the common ones."""

    name: ClassVar[str] = "show-and-tell"
    summary: ClassVar[str] = "Show and Tell (Vinyals 2015): CNN embedding as the LSTM's first input, beam search"
    VERSION: ClassVar[int] = 1
    DEFAULTS: ClassVar[dict[str, Any]] = {"width": 32, "embed": 128, "hidden": 256, "batch_size": 64, "steps": 10000}

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__(vocab, resolution, max_len, **options)
        o = self.options
        encoder = ConvEncoder(resolution, o["width"], grid=4)
        self.nets["encoder"] = encoder
        self.nets["image"] = nn.Sequential(nn.Linear(encoder.channels * 16, o["embed"]), nn.LayerNorm(o["embed"]))
        self.nets["words"] = nn.Embedding(len(self.tokenizer), o["embed"])
        self.nets["lstm"] = nn.LSTM(o["embed"], o["hidden"], batch_first=True)
        self.nets["out"] = nn.Linear(o["hidden"], len(self.tokenizer))
        self.finish_init()

    def image_embedding(self, images: Tensor) -> Tensor:
        """float (N, embed) for images float (N,3,R,R) in [-1,1]."""
        return self.nets["image"](self.nets["encoder"](images).flatten(1))

    def loss(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        inputs = torch.cat([self.image_embedding(images)[:, None], self.nets["words"](teacher_inputs(ids))], 1)
        hidden, _ = self.nets["lstm"](inputs)
        loss = token_loss(self.nets["out"](hidden[:, 1:]), ids)
        return loss, {"loss": loss.item()}

    def decoder_start(self, images: Tensor) -> State:
        _, (h, c) = self.nets["lstm"](self.image_embedding(images)[:, None])
        return h[0], c[0]

    def decoder_step(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        h, c = state
        out, (h, c) = self.nets["lstm"](self.nets["words"](tokens)[:, None], (h[None], c[None]))
        return torch.log_softmax(self.nets["out"](out[:, 0]), 1), (h[0], c[0])
