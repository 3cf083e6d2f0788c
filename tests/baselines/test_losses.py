"""Loss values and gradient penalties against hand-computed cases."""

import math

import pytest
import torch

from baselines.losses import (
    LOSSES,
    clip_weights,
    get_loss,
    interpolate_gradient_penalty,
    matching_aware_gradient_penalty,
)
from xmbench.errors import InputError

REAL, WRONG, FAKE = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0]), torch.tensor([0.5, -3.0])


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_discriminator_losses_match_hand_computation():
    # hand-computed per objective: mean over the batch; negatives weighted 1/2
    expected = {
        "bce": (_softplus(-2) + _softplus(0)) / 2
        + 0.5 * ((_softplus(-1) + _softplus(1)) / 2 + (_softplus(0.5) + _softplus(-3)) / 2),
        "lsgan": (1 + 1) / 2 + 0.5 * ((1 + 1) / 2 + (0.25 + 9) / 2),
        "wgan": -1.0 + 0.5 * (0.0 + (-1.25)),
        "wgan-gp": -1.0 + 0.5 * (0.0 + (-1.25)),
        "hinge": (0 + 1) / 2 + 0.5 * ((0 + 2) / 2 + (1.5 + 0) / 2),
    }
    for name, value in expected.items():
        assert get_loss(name).d(REAL, WRONG, FAKE).item() == pytest.approx(value, rel=1e-6), name


def test_generator_losses_match_hand_computation():
    expected = {
        "bce": (_softplus(-0.5) + _softplus(3)) / 2,
        "lsgan": (0.25 + 16) / 2,
        "wgan": 1.25,
        "wgan-gp": 1.25,
        "hinge": 1.25,
    }
    for name, value in expected.items():
        assert get_loss(name).g(FAKE).item() == pytest.approx(value, rel=1e-6), name


def test_unknown_loss_suggests_close_name():
    with pytest.raises(InputError, match="did you mean 'hinge'"):
        get_loss("hing")
    assert set(LOSSES) == {"bce", "lsgan", "wgan", "wgan-gp", "hinge"}


def test_interpolate_gradient_penalty_linear_critic():
    # critic(x) = sum(w * x): gradient w everywhere, penalty (|w| - 1)^2
    w = torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)
    real, fake = torch.randn(5, 2, 1, 1), torch.randn(5, 2, 1, 1)
    gp = interpolate_gradient_penalty(lambda x: (x * w).flatten(1).sum(1), real, fake, torch.rand(5, 1, 1, 1))
    assert gp.item() == pytest.approx((5.0 - 1) ** 2)


def test_interpolate_gradient_penalty_quadratic_critic_at_known_points():
    # critic(x) = 0.5 |x|^2: gradient x; with alpha = 1 the point is `real`
    real = torch.tensor([[3.0, 0.0], [0.0, 0.5]]).view(2, 2, 1, 1)
    gp = interpolate_gradient_penalty(
        lambda x: 0.5 * (x**2).flatten(1).sum(1), real, torch.zeros_like(real), torch.ones(2, 1, 1, 1)
    )
    assert gp.item() == pytest.approx(((3 - 1) ** 2 + (0.5 - 1) ** 2) / 2)


def test_ma_gp_hand_computed():
    # D(x, s) = sum(a * x) + sum(b * s): gradient (a, b), norm sqrt(|a|^2 + |b|^2) = 13 for (3,4 | 12)
    a = torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)
    b = torch.tensor([12.0])
    critic = lambda x, s: (x * a).flatten(1).sum(1) + (s * b).sum(1)  # noqa: E731
    x, s = torch.randn(3, 2, 1, 1), torch.randn(3, 1)
    gp = matching_aware_gradient_penalty(critic, x, s, weight=2.0, power=6.0)
    assert gp.item() == pytest.approx(2.0 * 13.0**6, rel=1e-6)


def test_ma_gp_flows_into_non_leaf_text():
    enc = torch.nn.Linear(2, 1)
    s = enc(torch.ones(3, 2))
    critic = lambda x, t: (x.flatten(1).sum(1) * t.squeeze(1)) ** 2  # noqa: E731
    matching_aware_gradient_penalty(critic, torch.ones(3, 2, 1, 1), s).backward()
    assert enc.weight.grad is not None and torch.isfinite(enc.weight.grad).all()


def test_clip_weights():
    m = torch.nn.Linear(4, 4)
    torch.nn.init.normal_(m.weight, std=1.0)
    clip_weights(m, 0.01)
    assert m.weight.abs().max().item() <= 0.01 and m.bias.abs().max().item() <= 0.01


def test_stackgan_kl_is_the_per_dimension_mean_of_the_closed_form():
    # StackGAN's KL_loss averages over batch AND dimensions; torch.distributions gives the closed form
    from baselines.stackgan import kl_to_standard_normal

    mu, logvar = torch.tensor([[0.5, -1.0, 0.0], [2.0, 0.3, -0.7]]), torch.tensor([[0.0, 0.4, -1.0], [1.0, -0.2, 0.0]])
    normal = torch.distributions.Normal
    expected = torch.distributions.kl_divergence(normal(mu, (0.5 * logvar).exp()), normal(0.0, 1.0)).mean()
    assert kl_to_standard_normal(mu, logvar).item() == pytest.approx(expected.item(), rel=1e-6)
    assert kl_to_standard_normal(torch.zeros(4, 3), torch.zeros(4, 3)).item() == 0.0
