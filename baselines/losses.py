"""GAN objectives for matching-aware conditional discriminators, and gradient penalties.

Each objective maps discriminator outputs (float (N,) or (N,1) logits/critic values) to scalar losses:
- ``d(real, wrong, fake)``: real = D(real image, right text), wrong = D(real image, mismatched text),
  fake = D(G(z, text), text). Following Reed et al. 2016 and DF-GAN, the two negative terms are
  weighted 1/2 each.
- ``g(fake)``: the generator's loss on D(G(z, text), text).

Objectives: ``bce`` (standard non-saturating GAN), ``lsgan`` (least squares, targets 1/0),
``wgan`` (critic with weight clipping), ``wgan-gp`` (critic with the interpolate gradient penalty,
Gulrajani et al. 2017) and ``hinge``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from xmbench.errors import unknown_name

Tensor = torch.Tensor


def _bce(x: Tensor, target: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(x, torch.full_like(x, target))


def _d_bce(real: Tensor, wrong: Tensor, fake: Tensor) -> Tensor:
    return _bce(real, 1.0) + 0.5 * (_bce(wrong, 0.0) + _bce(fake, 0.0))


def _d_lsgan(real: Tensor, wrong: Tensor, fake: Tensor) -> Tensor:
    return ((real - 1) ** 2).mean() + 0.5 * ((wrong**2).mean() + (fake**2).mean())


def _d_wgan(real: Tensor, wrong: Tensor, fake: Tensor) -> Tensor:
    return -real.mean() + 0.5 * (wrong.mean() + fake.mean())


def _d_hinge(real: Tensor, wrong: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1 - real).mean() + 0.5 * (F.relu(1 + wrong).mean() + F.relu(1 + fake).mean())


@dataclass(frozen=True)
class GanLoss:
    """One objective. clip: weight-clipping bound for the critic (WGAN) or None;
    interpolate_gp: weight of the WGAN-GP penalty, 0 for none."""

    name: str
    d: Callable[[Tensor, Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    clip: float | None = None
    interpolate_gp: float = 0.0


LOSSES: dict[str, GanLoss] = {
    "bce": GanLoss("bce", _d_bce, lambda fake: _bce(fake, 1.0)),
    "lsgan": GanLoss("lsgan", _d_lsgan, lambda fake: ((fake - 1) ** 2).mean()),
    "wgan": GanLoss("wgan", _d_wgan, lambda fake: -fake.mean(), clip=0.01),
    "wgan-gp": GanLoss("wgan-gp", _d_wgan, lambda fake: -fake.mean(), interpolate_gp=10.0),
    "hinge": GanLoss("hinge", _d_hinge, lambda fake: -fake.mean()),
}


def get_loss(name: str) -> GanLoss:
    """The objective called `name` (one of LOSSES); InputError suggesting close names otherwise."""
    if name not in LOSSES:
        raise unknown_name("loss", name, LOSSES)
    return LOSSES[name]


def clip_weights(module: nn.Module, bound: float) -> None:
    """WGAN weight clipping: clamp every parameter of `module` to [-bound, bound] in place."""
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-bound, bound)


def interpolate_gradient_penalty(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, alpha: Tensor
) -> Tensor:
    """WGAN-GP: mean over the batch of (||grad_x critic(x)||_2 - 1)^2 at x = alpha*real + (1-alpha)*fake.

    alpha: (N,1,1,1) in [0,1]. The graph is kept so the penalty can be back-propagated.
    """
    x = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def matching_aware_gradient_penalty(
    critic: Callable[[Tensor, Tensor], Tensor], real: Tensor, text: Tensor, weight: float = 2.0, power: float = 6.0
) -> Tensor:
    """DF-GAN's MA-GP: weight * mean over the batch of ||(grad_x D, grad_s D)||_2 ** power.

    The gradient is taken at real images with their matching sentence vectors (N, D); `text` may be
    a non-leaf tensor (the encoder is trained through it).
    """
    x = real.detach().requires_grad_(True)
    if not text.requires_grad:
        text = text.detach().requires_grad_(True)
    gx, gs = torch.autograd.grad(critic(x, text).sum(), (x, text), create_graph=True)
    norm = torch.cat([gx.flatten(1), gs.flatten(1)], dim=1).norm(dim=1)
    return weight * (norm**power).mean()
