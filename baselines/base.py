"""The shared skeleton of the reference GANs: text encoder, G/D module dicts, optimisers, EMA,
the matching-aware discriminator step, and the Generator contract (`generate`).

A baseline subclass builds `self.g` (generator-side modules) and `self.d` (discriminator-side
modules), says how many noise numbers one sample needs (`noise_numel`), and implements
`g_forward` (text embedding + noise -> images in [-1,1]) and `train_step`.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import torch
from torch import nn

from baselines.losses import GanLoss, clip_weights, get_loss, interpolate_gradient_penalty
from xmbench.errors import InputError, unknown_name
from xmbench.seeding import derive_seed
from xmbench.text.encoder import CaptionEncoder
from xmbench.text.tokenizer import WordTokenizer, words

Tensor = torch.Tensor
#: generation batch size (memory bound only: outputs do not depend on it)
GENERATE_BATCH = 256
#: options every baseline takes: text_encoder "pretrained" (the caption encoder is pre-trained on
#: the suite's attribute records for text_steps steps, then frozen; see baselines.text_pretrain) or
#: "joint" (trained from scratch through D's matching-aware loss, as in the papers' joint variants)
COMMON_DEFAULTS: dict[str, Any] = {"text_encoder": "pretrained", "text_steps": 150}
TEXT_ENCODERS = ("pretrained", "joint")


def sample_noise(seed: int, start: int, count: int, numel: int) -> Tensor:
    """float32 (count, numel) standard normal; row i depends only on (seed, start + i)."""
    rows = [
        torch.randn(numel, generator=torch.Generator().manual_seed(derive_seed(seed, "sample", start + i)))
        for i in range(count)
    ]
    return torch.stack(rows) if rows else torch.empty(0, numel)


def to_uint8(images: Tensor) -> Tensor:
    """float images in [-1,1] (N,3,H,W) -> uint8 [0,255] on the CPU."""
    return ((images.float() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu()


@contextlib.contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Temporarily stop weight gradients of `modules` (inputs still get gradients)."""
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


class Baseline(nn.Module):
    """A trainable text-to-image GAN that is also a `Generator`.

    options: the subclass's DEFAULTS overridden by keyword; every value is JSON-able and is recorded
    in checkpoints. Common options: loss, batch_size, steps, lr_g, lr_d, betas, ema (decay, 0 = off),
    amp (bfloat16 autocast on CUDA), text_dim, ngf, ndf.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    #: the recipe's version (architecture, defaults, losses, training loop, text pre-training): it keys
    #: the runner's training cache and is recorded in results; bump it by hand when outputs change
    VERSION: ClassVar[int]
    DEFAULTS: ClassVar[dict[str, Any]]
    noise_numel: int

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__()
        defaults = self.defaults()
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            raise unknown_name(f"option of baseline {self.name!r}", unknown[0], defaults)
        self.options = {**defaults, **options}
        if self.options["text_encoder"] not in TEXT_ENCODERS:
            raise unknown_name("text_encoder", self.options["text_encoder"], TEXT_ENCODERS)
        if self.options.get("loss") is not None:
            get_loss(self.options["loss"])  # validate early
        self.resolution = int(resolution)
        if self.resolution not in (32, 64, 128, 256):
            raise InputError(f"baseline {self.name!r} supports resolutions 32, 64, 128 and 256, not {resolution}")
        self.tokenizer = WordTokenizer(vocab)
        self.max_len = int(max_len)
        self.encoder = CaptionEncoder(len(self.tokenizer), dim=self.options["text_dim"])
        self.g = nn.ModuleDict()
        self.d = nn.ModuleDict()
        self.g_ema: nn.ModuleDict | None = None

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every option with its default value."""
        return {**COMMON_DEFAULTS, **cls.DEFAULTS}

    @classmethod
    def from_captions(cls, captions: list[str], resolution: int, **options: Any) -> Baseline:
        """An untrained model whose vocabulary and caption length come from training `captions`."""
        max_len = max(len(words(c)) for c in captions) + 2
        return cls(WordTokenizer.from_captions(captions).vocab, resolution, max_len, **options)

    # ---- construction helpers -------------------------------------------------------------
    def finish_init(self) -> None:
        """Call at the end of a subclass __init__: EMA copy, optimisers."""
        if self.options["ema"] > 0:
            self.g_ema = copy.deepcopy(self.g).requires_grad_(False)
        betas = tuple(self.options["betas"])
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=self.options["lr_g"], betas=betas)
        if self.text_frozen:  # weights come from baselines.text_pretrain (train_baseline loads them)
            self.encoder.requires_grad_(False)
            d_params = list(self.d.parameters())
        else:  # the caption encoder is trained by the discriminator's matching-aware loss
            d_params = [*self.d.parameters(), *self.encoder.parameters()]
        self.opt_d = torch.optim.Adam(d_params, lr=self.options["lr_d"], betas=betas)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Optimisers by name (checkpoints save and restore them)."""
        return {"g": self.opt_g, "d": self.opt_d}

    def sample_grid(self, images: Tensor, captions: list[str]) -> bytes:
        """PNG: images generated (seed 0) for `captions` (the suite's `images` are not used)."""
        from xmbench.report.grid import caption_grid_png

        return caption_grid_png(self.generate(captions, seed=0), captions, columns=4)

    @property
    def text_frozen(self) -> bool:
        """True when the caption encoder is pre-trained and frozen (options['text_encoder'])."""
        return self.options["text_encoder"] == "pretrained"

    @property
    def loss(self) -> GanLoss:
        return get_loss(self.options["loss"])

    def config(self) -> dict[str, Any]:
        """JSON-able description sufficient to rebuild the untrained model."""
        return {
            "baseline": self.name,
            "resolution": self.resolution,
            "max_len": self.max_len,
            "vocab": self.tokenizer.vocab,
            "options": dict(self.options),
        }

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast on CUDA when options['amp']; a no-op elsewhere."""
        on = bool(self.options["amp"]) and self.device.type == "cuda"
        return torch.autocast("cuda", dtype=torch.bfloat16) if on else contextlib.nullcontext()

    # ---- subclass interface -----------------------------------------------------------------
    def g_forward(self, g: nn.ModuleDict, text: Tensor, noise: Tensor) -> Tensor:
        """Images float (N,3,R,R) in [-1,1] from sentence vectors (N,text_dim) and noise (N,noise_numel)."""
        raise NotImplementedError

    def train_step(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> dict[str, float]:
        """One optimisation step on real images float (N,3,R,R) in [-1,1] and caption ids (N,L).

        All randomness comes from `rng` (a CPU generator), so a step is reproducible.
        """
        raise NotImplementedError

    # ---- shared training pieces -----------------------------------------------------------------
    def randn(self, rng: torch.Generator, *shape: int) -> Tensor:
        return torch.randn(*shape, generator=rng).to(self.device)

    def discriminator_loss(
        self, critic: Callable[[Tensor, Tensor], Tensor], real: Tensor, fake: Tensor, text: Tensor, rng: torch.Generator
    ) -> Tensor:
        """Matching-aware D loss: (real, right text), (real, mismatched text), (fake, right text).

        Mismatched text is the batch's text rolled by one (as DF-GAN shifts the batch). Adds the
        WGAN-GP interpolate penalty when the objective asks for it.
        """
        loss = self.loss
        total = loss.d(critic(real, text), critic(real, text.roll(1, 0)), critic(fake.detach(), text))
        if loss.interpolate_gp:
            alpha = torch.rand(real.shape[0], 1, 1, 1, generator=rng).to(real.device)
            cond = text.detach()
            total = total + loss.interpolate_gp * interpolate_gradient_penalty(
                lambda x: critic(x, cond), real, fake, alpha
            )
        return total

    def step_d(self, loss: Tensor) -> None:
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        if self.loss.clip is not None:
            clip_weights(self.d, self.loss.clip)

    def step_g(self, loss: Tensor) -> None:
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        if self.g_ema is not None:
            decay = self.options["ema"]
            with torch.no_grad():
                for e, p in zip(self.g_ema.parameters(), self.g.parameters(), strict=False):
                    e.lerp_(p, 1 - decay)

    @torch.no_grad()
    def refresh_ema_statistics(self, ids: Tensor, seed: int, batch: int = 64) -> None:
        """Recompute the batch-norm statistics of the EMA generator ("standing statistics").

        The live generator's running statistics belong to its own weights: with averaged weights
        they gave an all-garbage generator (attribute accuracy 0.001 against 0.105 with standing
        statistics, GAN-INT-CLS, EMA 0.999, 1,600 steps). ids: int64 (M, L) training captions;
        the noise comes from `seed`, so the statistics are deterministic. No-op without EMA.
        """
        if self.g_ema is None:
            return
        norms = [m for m in self.g_ema.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches below
        was_training = self.training
        self.eval()
        self.g_ema.train()
        try:
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch].to(self.device)
                noise = sample_noise(seed, start, len(chunk), self.noise_numel).to(self.device)
                self.g_forward(self.g_ema, self.encoder(chunk), noise)
        finally:
            for m, momentum in zip(norms, momenta, strict=False):
                m.momentum = momentum
            self.train(was_training)

    # ---- the Generator contract ---------------------------------------------------------------
    @torch.no_grad()
    def generate(self, captions: list[str], seed: int) -> Tensor:
        """uint8 (N,3,R,R) images for `captions`; sample i's noise depends only on (seed, i)."""
        was_training = self.training
        self.eval()
        g = self.g_ema if self.g_ema is not None else self.g
        out = []
        try:
            for start in range(0, len(captions), GENERATE_BATCH):
                chunk = list(captions[start : start + GENERATE_BATCH])
                ids = self.tokenizer.encode(chunk, self.max_len).to(self.device)
                noise = sample_noise(seed, start, len(chunk), self.noise_numel).to(self.device)
                out.append(to_uint8(self.g_forward(g, self.encoder(ids), noise)))
        finally:
            self.train(was_training)
        if not out:
            return torch.empty(0, 3, self.resolution, self.resolution, dtype=torch.uint8)
        return torch.cat(out)
