"""DF-GAN (Tao et al. 2022): one-stage generator of deep fusion blocks (stacked text-conditioned
affine transforms), one-way discriminator (a single logit judging realism and text match together),
hinge loss, matching-aware gradient penalty (weight 2, power 6), Adam betas (0, 0.9); the published
learning rates G 1e-4 / D 4e-4 are scaled x4 by default for few-minute CPU budgets."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from baselines.base import Baseline, frozen
from baselines.losses import matching_aware_gradient_penalty
from baselines.nets import n_halvings

Tensor = torch.Tensor


class Affine(nn.Module):
    """x * gamma(y) + beta(y), per channel; starts as the identity (gamma 1, beta 0)."""

    def __init__(self, cond_dim: int, ch: int) -> None:
        super().__init__()
        self.gamma = nn.Sequential(nn.Linear(cond_dim, ch), nn.ReLU(inplace=True), nn.Linear(ch, ch))
        self.beta = nn.Sequential(nn.Linear(cond_dim, ch), nn.ReLU(inplace=True), nn.Linear(ch, ch))
        for head, bias in ((self.gamma[2], 1.0), (self.beta[2], 0.0)):
            nn.init.zeros_(head.weight)
            nn.init.constant_(head.bias, bias)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return x * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


class FusionBlock(nn.Module):
    """DF-GAN's G block: upsample x2, then twice (affine, lrelu, affine, lrelu, conv 3x3); 1x1 shortcut."""

    def __init__(self, cond_dim: int, cin: int, cout: int) -> None:
        super().__init__()
        self.affines = nn.ModuleList(
            [Affine(cond_dim, cin), Affine(cond_dim, cin), Affine(cond_dim, cout), Affine(cond_dim, cout)]
        )
        self.c1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2)
        h = x
        for k, conv in enumerate((self.c1, self.c2)):
            h = F.leaky_relu(self.affines[2 * k](h, y), 0.2)
            h = conv(F.leaky_relu(self.affines[2 * k + 1](h, y), 0.2))
        return self.shortcut(x) + h


class DFGenerator(nn.Module):
    """(noise (N,nz), sentence (N,T)) -> (N,3,R,R) in [-1,1]; fusion condition = [noise, sentence]."""

    def __init__(self, resolution: int, text_dim: int, nz: int, ngf: int) -> None:
        super().__init__()
        k = n_halvings(resolution)
        chans = [ngf * min(8, 2 ** (k - i)) for i in range(k + 1)]
        self.ch0 = chans[0]
        self.fc = nn.Linear(nz, chans[0] * 16)
        self.blocks = nn.ModuleList([FusionBlock(nz + text_dim, a, b) for a, b in zip(chans, chans[1:], strict=False)])
        self.to_rgb = nn.Sequential(nn.LeakyReLU(0.2), nn.Conv2d(chans[-1], 3, 3, 1, 1), nn.Tanh())

    def forward(self, noise: Tensor, text: Tensor) -> Tensor:
        cond = torch.cat([noise, text], 1)
        h = self.fc(noise).view(-1, self.ch0, 4, 4)
        for block in self.blocks:
            h = block(h, cond)
        return self.to_rgb(h)


class DownBlock(nn.Module):
    """DF-GAN's D block: conv 4x4/2, lrelu, conv 3x3, lrelu; shortcut 1x1 + avg-pool; x + gamma * res."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.res = nn.Sequential(
            nn.Conv2d(cin, cout, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.shortcut = nn.Conv2d(cin, cout, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(self.shortcut(x), 2) + self.gamma * self.res(x)


class OneWayDiscriminator(nn.Module):
    """(images (N,3,R,R), sentence (N,T)) -> one logit per image (N,)."""

    def __init__(self, resolution: int, text_dim: int, ndf: int) -> None:
        super().__init__()
        k = n_halvings(resolution)
        chans = [ndf * min(8, 2**i) for i in range(k + 1)]
        self.conv_img = nn.Conv2d(3, chans[0], 3, 1, 1)
        self.blocks = nn.Sequential(*[DownBlock(a, b) for a, b in zip(chans, chans[1:], strict=False)])
        self.joint = nn.Sequential(
            nn.Conv2d(chans[-1] + text_dim, ndf * 2, 3, 1, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
        )

    def forward(self, images: Tensor, text: Tensor) -> Tensor:
        h = self.blocks(self.conv_img(images))
        t = text[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return self.joint(torch.cat([h, t], 1)).flatten()


class DFGAN(Baseline):
    name = "dfgan"
    summary = "DF-GAN (Tao et al. 2022): deep fusion blocks, one-way D, hinge + MA-GP"
    VERSION = 1  # bump when training or generation output changes (tests/baselines/golden.json)
    #: budget for a few CPU minutes (docs/baselines.md): batch 32 and 4x the published learning
    #: rates (G 1e-4 / D 4e-4), keeping their 1:4 ratio, buy more, larger updates in the same CPU time
    DEFAULTS: dict[str, Any] = {
        "loss": "hinge",
        "batch_size": 32,
        "steps": 1600,  # the shipped recipe (baselines/weights/dfgan.json)
        "lr_g": 4e-4,
        "lr_d": 1.6e-3,
        "betas": [0.0, 0.9],
        "ema": 0.0,
        "amp": True,
        "text_dim": 128,
        "nz": 64,
        "ngf": 8,
        "ndf": 8,
        "ma_gp_weight": 2.0,
        "ma_gp_power": 6.0,
        "ma_gp_batch": 16,
    }

    def __init__(self, vocab: list[str], resolution: int, max_len: int, **options: Any) -> None:
        super().__init__(vocab, resolution, max_len, **options)
        o = self.options
        self.noise_numel = o["nz"]
        self.g["net"] = DFGenerator(resolution, o["text_dim"], o["nz"], o["ngf"])
        self.d["net"] = OneWayDiscriminator(resolution, o["text_dim"], o["ndf"])
        self.finish_init()

    def g_forward(self, g: nn.ModuleDict, text: Tensor, noise: Tensor) -> Tensor:
        return g["net"](noise, text)

    def train_step(self, images: Tensor, ids: Tensor, rng: torch.Generator) -> dict[str, float]:
        o, d = self.options, self.d["net"]
        with self.autocast():
            text = self.encoder(ids)
            fake = self.g_forward(self.g, text.detach(), self.randn(rng, images.shape[0], o["nz"]))
            adv = self.discriminator_loss(d, images, fake, text, rng)
            # MA-GP's batch mean estimated on the first ma_gp_batch samples (the batch is a random
            # draw): the double backward through D costs more than the rest of the step
            m = o["ma_gp_batch"] or images.shape[0]
            gp = (
                matching_aware_gradient_penalty(d, images[:m], text[:m], o["ma_gp_weight"], o["ma_gp_power"])
                if o["ma_gp_weight"] > 0
                else torch.zeros((), device=images.device)
            )
        self.step_d(adv + gp)
        with frozen(self.d, self.encoder), self.autocast():
            g_loss = self.loss.g(d(fake, text.detach()))
        self.step_g(g_loss)
        return {"d_loss": adv.item(), "ma_gp": gp.item(), "g_loss": g_loss.item()}
