"""The shared skeleton of the trainable captioners: vocabulary, options, optimiser, the training
step, and the Captioner contract (`caption`) through greedy or beam-search decoding.

A subclass builds its networks in `self.nets` (one ModuleDict: what trains and what DDP wraps),
then calls `finish_init`, and implements `loss` (teacher-forced training objective),
`decoder_start` (images -> decoder state) and `decoder_step` (one token of the decoder).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from baselines.captioners.decoding import State, beam_search, greedy
from baselines.captioners.vocab import END, PAD, CaptionVocab
from xmbench.errors import InputError, unknown_name
from xmbench.images import check_images

Tensor = torch.Tensor
#: captioning batch size (memory bound only: outputs do not depend on it)
CAPTION_BATCH = 500
#: options every captioner takes
COMMON_DEFAULTS: dict[str, Any] = {"lr": 2e-3, "schedule": "cosine", "betas": [0.9, 0.999], "grad_clip": 5.0}
SCHEDULES = ("cosine", "constant")


def teacher_inputs(ids: Tensor) -> Tensor:
    """Decoder inputs for targets int64 (N, L): END (the start token), then the targets shifted right."""
    start = torch.full_like(ids[:, :1], END)
    return torch.cat([start, ids[:, :-1]], 1)


def token_loss(logits: Tensor, ids: Tensor) -> Tensor:
    """Mean cross-entropy over the non-padding targets. logits (N, L, V), ids (N, L)."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids.reshape(-1), ignore_index=PAD)


class TrainableCaptioner(nn.Module):
    """A captioner trained by `baselines.training` that is also a `Captioner`.

    options: the subclass's DEFAULTS overridden by keyword; every value is JSON-able and is recorded
    in checkpoints. Common options: lr, schedule ("cosine": the learning rate falls from lr to 0 over
    options["steps"] steps, counted by the `steps_done` buffer, so a resumed run continues the same
    schedule; "constant"), betas, grad_clip (global gradient norm, 0 = off), batch_size, steps.
    `beam` (default 3; 1 = greedy) chooses the decoding and is not a training option.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    VERSION: ClassVar[int]
    DEFAULTS: ClassVar[dict[str, Any]]
    #: the training loop pre-trains no caption encoder for captioners
    text_frozen: ClassVar[bool] = False

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__()
        defaults = self.defaults()
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            raise unknown_name(f"option of captioner {self.name!r}", unknown[0], defaults)
        self.options = {**defaults, **options}
        if self.options["schedule"] not in SCHEDULES:
            raise unknown_name("schedule", self.options["schedule"], SCHEDULES)
        self.resolution = int(resolution)
        if self.resolution not in (32, 64, 128, 256):
            raise InputError(f"captioner {self.name!r} supports resolutions 32, 64, 128 and 256, not {resolution}")
        self.tokenizer = CaptionVocab(vocab)
        self.max_len = int(max_len)
        self.beam = 3
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.int64))
        self.nets = nn.ModuleDict()

    def finish_init(self) -> None:
        """Call at the end of a subclass __init__: the optimiser over `self.nets`."""
        self.opt = torch.optim.Adam(self.nets.parameters(), lr=self.options["lr"], betas=tuple(self.options["betas"]))

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Optimisers by name (checkpoints save and restore them)."""
        return {"model": self.opt}

    def config(self) -> dict[str, Any]:
        """JSON-able description sufficient to rebuild the untrained model."""
        return {
            "baseline": self.name,
            "version": self.VERSION,
            "resolution": self.resolution,
            "max_len": self.max_len,
            "vocab": self.tokenizer.vocab,
            "options": dict(self.options),
        }

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # ---- subclass interface -----------------------------------------------------------------
    def loss(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> tuple[Tensor, dict[str, float]]:
        """Training loss (scalar) and its logged parts, for images float (N,3,R,R) in [-1,1] and
        END-terminated caption ids int64 (N, max_len)."""
        raise NotImplementedError

    def decoder_start(self, images: Tensor) -> State:
        """The decoder state for images float (N,3,R,R) in [-1,1] (first dimension N everywhere)."""
        raise NotImplementedError

    def decoder_step(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        """Log-probabilities float (B, V) of the next token after `tokens` int64 (B,), and the new state."""
        raise NotImplementedError

    # ---- training -------------------------------------------------------------------------------
    def train_step(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> dict[str, float]:
        """One optimisation step; all randomness comes from `rng`, so a step is reproducible."""
        if self.options["schedule"] == "cosine":
            progress = min(int(self.steps_done) / max(int(self.options["steps"]), 1), 1.0)
            for group in self.opt.param_groups:
                group["lr"] = self.options["lr"] * 0.5 * (1 + math.cos(math.pi * progress))
        loss, logs = self.loss(images, ids, rng)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.options["grad_clip"]:
            nn.utils.clip_grad_norm_(self.nets.parameters(), self.options["grad_clip"])
        self.opt.step()
        self.steps_done += 1
        return logs

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every option with its default value."""
        return {**COMMON_DEFAULTS, **cls.DEFAULTS}

    @classmethod
    def from_captions(cls, captions: list[str], resolution: int, **options: Any) -> TrainableCaptioner:
        """An untrained model whose vocabulary and caption length come from training `captions`."""
        vocab = CaptionVocab.from_captions(captions)
        return cls(vocab.vocab, resolution, vocab.max_tokens(captions), **options)

    def sample_grid(self, images: Tensor, captions: list[str]) -> bytes:
        """PNG: `images` uint8 (N,3,R,R) with the model's captions (the suite's `captions` are not shown)."""
        from xmbench.report.grid import caption_grid_png

        return caption_grid_png(images, self.caption(images, 0), columns=4)

    def refresh_ema_statistics(self, ids: Tensor, seed: int) -> None:
        """Nothing to refresh: captioners keep no weight average (the training loop calls this hook)."""

    # ---- the Captioner contract -------------------------------------------------------------
    @torch.no_grad()
    def caption(self, images: Tensor, seed: int, beam: int | None = None) -> list[str]:
        """One caption per image of uint8 (N,3,R,R); deterministic (decoding draws nothing, so the
        seed does not matter). beam: beam width (default self.beam; 1 = greedy decoding)."""
        beam = self.beam if beam is None else int(beam)
        if beam < 1:
            raise InputError(f"beam must be >= 1, got {beam}")
        images = check_images(images, name=f"images given to {self.name!r}", min_count=0)
        if tuple(images.shape[-2:]) != (self.resolution, self.resolution):
            raise InputError(
                f"captioner {self.name!r} was trained at {self.resolution}x{self.resolution}, "
                f"got {tuple(images.shape[-2:])} images; resize them or train at that resolution"
            )
        was_training = self.training
        self.eval()
        out: list[str] = []
        try:
            for start in range(0, len(images), CAPTION_BATCH):
                x = images[start : start + CAPTION_BATCH].to(self.device).float().div_(127.5).sub_(1)
                state = self.decoder_start(x)
                ids = (
                    greedy(self.decoder_step, state, self.max_len)
                    if beam == 1
                    else beam_search(self.decoder_step, state, self.max_len, beam)
                )
                out += self.tokenizer.decode(ids)
        finally:
            self.train(was_training)
        return out
