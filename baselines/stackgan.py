"""StackGAN (Zhang et al. 2017): conditioning augmentation (a Gaussian over the sentence vector
with a KL penalty), stage I sketching at half the resolution, stage II refining stage I's image,
conditioned on the text again, to the full resolution.

Difference from the paper, to fit a few CPU minutes: both stages train in the same steps (stage II
takes stage I's detached output, as in the paper's second phase) instead of stage I first.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from baselines.base import Baseline, frozen
from baselines.nets import CondDiscriminator, discriminator_norm, n_halvings, up_block

Tensor = torch.Tensor


class ConditioningAugmentation(nn.Module):
    """sentence (N,T) -> (c, mu, logvar), c = mu + exp(logvar/2) * eps, each (N, ca_dim)."""

    def __init__(self, text_dim: int, ca_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(text_dim, 2 * ca_dim)

    def forward(self, text: Tensor, eps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = F.leaky_relu(self.fc(text), 0.2).chunk(2, dim=1)
        return mu + torch.exp(0.5 * logvar) * eps, mu, logvar


def kl_to_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per dimension, averaged over dims and batch (as the StackGAN
    authors' code, `KL_loss`, does; summing over the dims made the KL term ca_dim times stronger and
    erased the text from the conditioning: R-precision 0.01 after 500 steps)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean()


class _Residual(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x + self.body(x))


class StageOne(nn.Module):
    """(noise (N,nz), c (N,ca)) -> (N,3,R/2,R/2): a 4x4 map upsampled by nearest + conv blocks."""

    def __init__(self, resolution: int, nz: int, ca_dim: int, ngf: int) -> None:
        super().__init__()
        k = n_halvings(resolution // 2)
        self.ch = ngf * 2**k
        self.fc = nn.Sequential(
            nn.Linear(nz + ca_dim, self.ch * 16, bias=False), nn.BatchNorm1d(self.ch * 16), nn.ReLU(inplace=True)
        )
        blocks, ch = [], self.ch
        for _ in range(k):
            blocks.append(up_block(ch, ch // 2))
            ch //= 2
        self.up = nn.Sequential(*blocks, nn.Conv2d(ch, 3, 3, 1, 1), nn.Tanh())

    def forward(self, noise: Tensor, c: Tensor) -> Tensor:
        return self.up(self.fc(torch.cat([noise, c], 1)).view(-1, self.ch, 4, 4))


class StageTwo(nn.Module):
    """(stage I image (N,3,R/2,R/2), c (N,ca)) -> (N,3,R,R): encode to R/8, join the text, residual
    blocks, upsample x4."""

    def __init__(self, ca_dim: int, ngf: int) -> None:
        super().__init__()
        ch = ngf * 4
        self.encode = nn.Sequential(
            nn.Conv2d(3, ngf * 2, 3, 1, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(ngf * 2, ch, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
        )
        self.joint = nn.Sequential(
            nn.Conv2d(ch + ca_dim, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
            _Residual(ch),
            _Residual(ch),
        )
        self.up = nn.Sequential(
            up_block(ch, ch // 2), up_block(ch // 2, ch // 4), nn.Conv2d(ch // 4, 3, 3, 1, 1), nn.Tanh()
        )

    def forward(self, image: Tensor, c: Tensor) -> Tensor:
        h = self.encode(image)
        h = torch.cat([h, c[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])], 1)
        return self.up(self.joint(h))


class StackGAN(Baseline):
    name = "stackgan"
    summary = "StackGAN (Zhang et al. 2017): conditioning augmentation + KL, stage I at R/2, stage II to R"
    VERSION = 1  # bump when training or generation output changes (tests/baselines/golden.json)
    #: budget for a few CPU minutes (docs/baselines.md): batch 32 and lr 8e-4 (paper: 2e-4) buy
    #: more, larger updates in the same CPU time
    DEFAULTS: dict[str, Any] = {
        "loss": "bce",
        "batch_size": 32,
        "steps": 2250,  # the shipped recipe (baselines/weights/stackgan.json)
        "lr_g": 8e-4,
        "lr_d": 8e-4,
        "betas": [0.5, 0.999],
        "ema": 0.0,
        "amp": True,
        "text_dim": 128,
        "nz": 64,
        "ca_dim": 64,
        "kl_weight": 2.0,
        "ngf": 16,
        "ndf": 16,
        "d_norm": "spectral",
        "d_projection": False,
    }

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__(vocab, resolution, max_len, **options)
        o = self.options
        nz, ca = o["nz"], o["ca_dim"]
        self.noise_numel = nz + 2 * ca  # z, then the two CA epsilons
        self.g["ca1"] = ConditioningAugmentation(o["text_dim"], ca)
        self.g["stage1"] = StageOne(resolution, nz, ca, o["ngf"])
        self.g["ca2"] = ConditioningAugmentation(o["text_dim"], ca)
        self.g["stage2"] = StageTwo(ca, o["ngf"])
        norm = discriminator_norm(o["d_norm"], o["loss"])
        for stage, res in (("stage1", resolution // 2), ("stage2", resolution)):
            self.d[stage] = CondDiscriminator(res, o["text_dim"], o["ndf"], norm=norm, projection=o["d_projection"])
        self.finish_init()

    def _stages(self, g: nn.ModuleDict, text: Tensor, noise: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(stage I image, stage II image, KL of both CA distributions)."""
        nz, ca = self.options["nz"], self.options["ca_dim"]
        z, e1, e2 = noise.split([nz, ca, ca], dim=1)
        c1, mu1, lv1 = g["ca1"](text, e1)
        low = g["stage1"](z, c1)
        c2, mu2, lv2 = g["ca2"](text, e2)
        high = g["stage2"](low.detach(), c2)
        return low, high, kl_to_standard_normal(mu1, lv1) + kl_to_standard_normal(mu2, lv2)

    def g_forward(self, g: nn.ModuleDict, text: Tensor, noise: Tensor) -> Tensor:
        return self._stages(g, text, noise)[1]

    def train_step(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> dict[str, float]:
        n = images.shape[0]
        real_low = F.avg_pool2d(images, 2)
        with self.autocast():
            text = self.encoder(ids)
            low, high, kl = self._stages(self.g, text.detach(), self.randn(rng, n, self.noise_numel))
            d_loss = self.discriminator_loss(self.d["stage1"], real_low, low, text, rng) + self.discriminator_loss(
                self.d["stage2"], images, high, text, rng
            )
        self.step_d(d_loss)
        with frozen(self.d, self.encoder), self.autocast():
            cond = text.detach()
            adv = self.loss.g(self.d["stage1"](low, cond)) + self.loss.g(self.d["stage2"](high, cond))
            g_loss = adv + self.options["kl_weight"] * kl
        self.step_g(g_loss)
        return {"d_loss": d_loss.item(), "g_loss": adv.item(), "kl": kl.item()}
