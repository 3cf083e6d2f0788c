"""Network pieces shared by the baselines: the DCGAN-style text-conditioned discriminator."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from xmbench.errors import unknown_name

Tensor = torch.Tensor
NORMS = ("batch", "spectral", "none")


def discriminator_norm(option: str, loss: str) -> str:
    """The norm a conditional D uses: the option, except that WGAN-GP never gets batch norm."""
    return "none" if loss == "wgan-gp" and option == "batch" else option


def n_halvings(resolution: int, to: int = 4) -> int:
    """How many factor-2 steps lie between `to` and `resolution` (both powers of two)."""
    return int(round(math.log2(resolution // to)))


def up_block(cin: int, cout: int) -> nn.Sequential:
    """x2 nearest upsampling, 3x3 convolution, batch norm, ReLU (resize-convolution: no checkerboard)."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class CondDiscriminator(nn.Module):
    """DCGAN discriminator conditioned on a sentence vector (Reed et al. 2016; StackGAN's D).

    Strided 4x4 convolutions take (N,3,R,R) down to (N, ndf*2^k, 4, 4); the sentence vector is
    projected to `proj` dims, replicated over the 4x4 grid and concatenated; a 1x1 and a 4x4
    convolution give one logit per image (N,).

    norm: "batch" (DCGAN's batch norm after every inner convolution), "spectral" (spectral
    normalisation of every layer, Miyato et al. 2018) or "none" (for WGAN-GP's per-sample penalty).
    projection: add the projection term <W s, sum-pooled image features> (Miyato & Koyama 2018)
    to the logit, a direct text-image inner product besides the concatenation.
    """

    def __init__(
        self,
        resolution: int,
        text_dim: int,
        ndf: int = 32,
        proj: int = 64,
        norm: str = "batch",
        projection: bool = False,
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            raise unknown_name("discriminator norm", norm, NORMS)
        sn = spectral_norm if norm == "spectral" else (lambda m: m)
        layers: list[nn.Module] = [sn(nn.Conv2d(3, ndf, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        ch = ndf
        for _ in range(n_halvings(resolution) - 1):
            layers += [sn(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=norm != "batch"))]
            layers += [nn.BatchNorm2d(ch * 2)] if norm == "batch" else []
            layers += [nn.LeakyReLU(0.2, inplace=True)]
            ch *= 2
        self.image = nn.Sequential(*layers)
        self.text = nn.Sequential(sn(nn.Linear(text_dim, proj)), nn.LeakyReLU(0.2, inplace=True))
        self.joint = nn.Sequential(
            sn(nn.Conv2d(ch + proj, ch, 1)), nn.LeakyReLU(0.2, inplace=True), sn(nn.Conv2d(ch, 1, 4))
        )
        self.projection = sn(nn.Linear(text_dim, ch, bias=False)) if projection else None

    def forward(self, images: Tensor, text: Tensor) -> Tensor:
        h = self.image(images)
        t = self.text(text)[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        out = self.joint(torch.cat([h, t], dim=1)).flatten()
        if self.projection is not None:
            out = out + (self.projection(text) * h.sum((2, 3))).sum(1)
        return out
