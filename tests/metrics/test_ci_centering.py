"""Bootstrap intervals of biased plug-in statistics (FD) contain their own estimate."""

import numpy as np
import pytest
import torch

from xmbench.metrics.bootstrap import centre_replicates
from xmbench.metrics.evaluator import Evaluator


def test_centred_replicates_have_the_estimate_as_mean():
    raw = np.array([5.0, 6.0, 7.0, 10.0])
    out = centre_replicates(raw, 3.0)
    assert out.mean() == pytest.approx(3.0) and np.allclose(np.diff(out), np.diff(raw))


def test_fd_interval_contains_the_estimate(toy):
    g = torch.Generator().manual_seed(0)
    real = torch.randint(0, 256, (300, 3, 8, 8), generator=g, dtype=torch.uint8)
    fake = torch.randint(0, 256, (300, 3, 8, 8), generator=g, dtype=torch.uint8)
    ev = Evaluator(toy, ["fd"], bootstrap=200, seed=0)
    ev.update_reference(real)
    ev.update(fake)
    fd = next(iter(ev.compute().values()))
    # raw bootstrap FDs of a 16-d feature space at N=300 sit well above the estimate; centred they bracket it
    assert fd.ci_low < fd.value < fd.ci_high
    assert np.mean(fd.bootstrap) == pytest.approx(fd.value)
    assert "bias-corrected" in fd.details["ci"]


def test_centred_replicates_are_clipped_to_the_metric_range():
    out = centre_replicates(np.array([0.0, 0.0, 0.002, 0.010]), 0.0005, 0.0, 1.0)
    assert out.min() == 0.0 and out.max() <= 1.0
    # unclipped, the shift (estimate − mean = −0.0025) would carry three replicates below 0
    assert (centre_replicates(np.array([0.0, 0.0, 0.002, 0.010]), 0.0005) < 0).sum() == 3


def test_fd_interval_of_identical_sets_stays_non_negative(toy):
    images = torch.randint(0, 256, (300, 3, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    ev = Evaluator(toy, ["fd", "prdc"], bootstrap=100, seed=0)
    ev.update_reference(images)
    ev.update(images)
    values = ev.compute()
    fd = next(v for k, v in values.items() if k.startswith("fd"))
    # FD is exactly 0 and its centred replicates straddle 0; FD cannot be negative, so the interval starts at 0
    assert fd.value == 0.0 and fd.ci_low == 0.0 and fd.ci_high > 0.0
    for name in ("precision", "recall", "coverage"):
        assert 0.0 <= values[name].ci_low <= values[name].ci_high <= 1.0
