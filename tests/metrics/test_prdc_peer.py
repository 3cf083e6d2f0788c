"""PRDC against Naeem et al.'s own `prdc` package on identical inputs, with and without ties.

Tie convention (documented in xmbench.metrics.prdc): a point exactly on a ball's edge is OUTSIDE for
density / coverage (prdc's `<`) and INSIDE for precision / recall (NVlabs' `<=`; prdc uses `<` there too).
"""

import contextlib
import io

import numpy as np
import pytest
import torch
from prdc import compute_prdc

from xmbench.metrics.prdc import prdc


def _peer(real: torch.Tensor, fake: torch.Tensor, k: int) -> dict[str, float]:
    with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the set sizes
        out = compute_prdc(real_features=real.numpy(), fake_features=fake.numpy(), nearest_k=k)
    return {name: float(v) for name, v in out.items()}


def _grid(n: int) -> torch.Tensor:
    """Integer lattice points: distances are exact, so many samples lie exactly on ball edges."""
    xs, ys = torch.meshgrid(torch.arange(n, dtype=torch.float64), torch.arange(n, dtype=torch.float64), indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], 1)


def test_all_four_equal_prdc_without_ties():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 6, generator=g, dtype=torch.float64)
    fake = torch.randn(250, 6, generator=g, dtype=torch.float64) * 1.2 + 0.3
    for k in (3, 5):
        ours = prdc(generated=fake, reference=real, k_pr=k, k_dc=k).values()
        assert ours == pytest.approx(_peer(real, fake, k), rel=1e-12, abs=0)


def test_density_and_coverage_follow_prdc_on_ties_precision_and_recall_follow_nvlabs():
    real = _grid(8)
    fake = _grid(8)[:40] + torch.tensor([0.0, 1.0], dtype=torch.float64)  # on lattice points: ties everywhere
    d = torch.cdist(fake, real).numpy()
    for k in (3, 5):
        ours = prdc(generated=fake, reference=real, k_pr=k, k_dc=k)
        peer = _peer(real, fake, k)
        r_real = np.sort(torch.cdist(real, real).numpy(), 1)[:, k]
        r_fake = np.sort(torch.cdist(fake, fake).numpy(), 1)[:, k]
        assert (ours.density, ours.coverage) == pytest.approx((peer["density"], peer["coverage"]), rel=1e-12)
        # the ties matter: counting the edge as inside would change density
        assert ours.density < (d <= r_real[None, :]).sum() / (k * len(fake))
        # NVlabs counts the edge as inside for precision / recall; prdc's strict `<` gives less or equal
        assert ours.precision == pytest.approx((d <= r_real[None, :]).any(1).mean(), rel=1e-12)
        assert ours.recall == pytest.approx((d <= r_fake[:, None]).any(0).mean(), rel=1e-12)
        assert ours.precision >= peer["precision"] and ours.recall >= peer["recall"]
        if k == 3:  # radius 1 on the lattice: fakes one step off the reference rows sit exactly on edges
            assert ours.precision > peer["precision"] and ours.recall > peer["recall"]


def test_prdc_is_keyword_only_so_sides_cannot_be_swapped_silently():
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with pytest.raises(TypeError):
        prdc(x, x + 1)  # type: ignore[misc]
    far = prdc(generated=x * 3, reference=x)  # a wider generated set: low precision, high recall
    swapped = prdc(generated=x, reference=x * 3)
    assert (far.precision, far.recall) == (swapped.recall, swapped.precision)
