"""GAN-INT-CLS (Reed et al. 2016): DCGAN conditioned on a sentence vector, matching-aware D
(real+right, real+wrong, fake+right) and GAN-INT (the generator is also trained on midpoints of
pairs of sentence vectors, which have no real image, so only G sees them)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from baselines.base import Baseline, frozen
from baselines.nets import CondDiscriminator, discriminator_norm, n_halvings, up_block

Tensor = torch.Tensor


class DCGANGenerator(nn.Module):
    """(noise (N,nz), sentence (N,text_dim)) -> float (N,3,R,R) in [-1,1].

    The sentence vector is projected to `proj` dims (leaky ReLU) and concatenated with the noise;
    a linear layer makes a 4x4 map, and log2(R/4) resize-convolution blocks (x2 nearest, 3x3 conv,
    batch norm, ReLU; DCGAN's stride-2 transposed convolutions gave checkerboard noise and a
    collapsed generator within our CPU budgets) reach the resolution.
    """

    def __init__(self, resolution: int, text_dim: int, nz: int, ngf: int = 32, proj: int = 64) -> None:
        super().__init__()
        k = n_halvings(resolution)
        ch = ngf * 2 ** (k - 1)
        self.text = nn.Sequential(nn.Linear(text_dim, proj), nn.LeakyReLU(0.2, inplace=True))
        # the 1x1 -> 4x4 projection as a linear layer with per-unit batch norm: per-channel batch
        # norm over the 4x4 map lets position-dependent variance swamp the input-dependent part,
        # and the generator collapsed to one image in our runs
        self.project = nn.Sequential(
            nn.Linear(nz + proj, ch * 16, bias=False), nn.BatchNorm1d(ch * 16), nn.ReLU(inplace=True)
        )
        self.ch = ch
        layers: list[nn.Module] = []
        for _ in range(k):
            layers.append(up_block(ch, max(ch // 2, ngf // 2)))
            ch = max(ch // 2, ngf // 2)
        layers += [nn.Conv2d(ch, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, noise: Tensor, text: Tensor) -> Tensor:
        x = self.project(torch.cat([noise, self.text(text)], dim=1))
        return self.net(x.view(-1, self.ch, 4, 4))


class GanIntCls(Baseline):
    name = "gan-int-cls"
    summary = "GAN-INT-CLS (Reed et al. 2016): text-conditioned DCGAN, matching-aware D, GAN-INT"
    VERSION = 1  # bump when training or generation output changes (tests/baselines/golden.json)
    #: budget for a few CPU minutes (docs/baselines.md): narrow nets (ngf = ndf = 16 halve the CPU
    #: time per image of 32) and small batches buy more updates; at 1,600 steps lr 3.2e-3 (Reed et
    #: al.: 2e-4) reached R-precision 0.59 / 0.57 (seeds 0 / 1), 1.6e-3 0.52, 8e-4 0.44 (1,500 steps)
    DEFAULTS: dict[str, Any] = {
        "loss": "hinge",
        "batch_size": 32,
        "steps": 17500,  # the shipped recipe (baselines/weights/gan-int-cls.json)
        "lr_g": 3.2e-3,
        "lr_d": 3.2e-3,
        "betas": [0.5, 0.999],
        "ema": 0.0,
        "amp": True,
        "text_dim": 128,
        "nz": 64,
        "ngf": 16,
        "ndf": 16,
        "interp_weight": 1.0,
        "d_norm": "spectral",
        "d_projection": True,
    }

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__(vocab, resolution, max_len, **options)
        o = self.options
        self.noise_numel = o["nz"]
        self.g["net"] = DCGANGenerator(resolution, o["text_dim"], o["nz"], o["ngf"])
        self.d["net"] = CondDiscriminator(
            resolution,
            o["text_dim"],
            o["ndf"],
            norm=discriminator_norm(o["d_norm"], o["loss"]),
            projection=o["d_projection"],
        )
        self.finish_init()

    def g_forward(self, g: nn.ModuleDict, text: Tensor, noise: Tensor) -> Tensor:
        return g["net"](noise, text)

    def train_step(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> dict[str, float]:
        n, o, d = images.shape[0], self.options, self.d["net"]
        with self.autocast():
            text = self.encoder(ids)
            fake = self.g_forward(self.g, text.detach(), self.randn(rng, n, o["nz"]))
            d_loss = self.discriminator_loss(d, images, fake, text, rng)
        self.step_d(d_loss)
        with frozen(self.d, self.encoder), self.autocast():
            cond = text.detach()
            g_loss = self.loss.g(d(fake, cond))
            if o["interp_weight"] > 0:  # GAN-INT with beta = 1/2
                mid = 0.5 * (cond + cond.roll(1, 0))
                g_loss = g_loss + o["interp_weight"] * self.loss.g(
                    d(self.g_forward(self.g, mid, self.randn(rng, n, o["nz"])), mid)
                )
        self.step_g(g_loss)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
