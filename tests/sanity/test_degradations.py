"""Degradations of the sanity ladder: identity at level 0, the intended effect, seeded and nested."""

import numpy as np
import torch

from xmbench.data import get_suite
from xmbench.data.shapes.suite import SEEN_PAIRS
from xmbench.sanity import degradations as d


def _images():
    return get_suite("shapes").batch("test", range(16)).images


def test_level_zero_is_identity():
    x = _images()
    for f in (d.blur, d.noise, d.colour_shift):
        assert torch.equal(f(x, 0.0), x)


def test_blur_removes_high_frequencies_more_with_sigma():
    x = _images()

    def roughness(y):
        y = y.float()
        return float((y[..., 1:] - y[..., :-1]).abs().mean())

    r = [roughness(d.blur(x, s)) for s in (0.0, 0.5, 1.0, 2.0)]
    assert r[0] > r[1] > r[2] > r[3]


def test_noise_is_seeded_with_the_asked_std():
    x = torch.full((4, 3, 32, 32), 128, dtype=torch.uint8)
    a, b = d.noise(x, 0.1, seed=3), d.noise(x, 0.1, seed=3)
    assert torch.equal(a, b) and not torch.equal(a, d.noise(x, 0.1, seed=4))
    std = float((a.float() - 128).std() / 255)
    assert abs(std - 0.1) < 0.005


def test_colour_shift_warms():
    x = torch.full((1, 3, 4, 4), 100, dtype=torch.uint8)
    y = d.colour_shift(x, 0.1).float()
    assert torch.allclose(y[0, :, 0, 0], torch.tensor([100 + 25.5, 100, 100 - 25.5]), atol=0.6)


def test_mode_drop_keeps_only_k_pairs_nested():
    records = [s.attributes for s in (get_suite("shapes").get("test", i) for i in range(600))]
    seen = []
    for k in (24, 8, 2):
        idx = d.mode_drop(records, k, 300, seed=1)
        pairs = {(o["colour"], o["shape"]) for i in idx for o in records[i]["objects"]}
        assert len(pairs) <= k and pairs <= set(SEEN_PAIRS)
        seen.append(pairs)
    assert seen[2] <= seen[1] <= seen[0]


def test_shuffle_captions_fraction_and_nesting():
    for f in (0.0, 0.25, 1.0):
        order = d.shuffle_captions(200, f, seed=0)
        assert sorted(order) == list(range(200))
        assert int((order != np.arange(200)).sum()) == round(f * 200)
    low, high = d.shuffle_captions(200, 0.2, 0), d.shuffle_captions(200, 0.6, 0)
    assert set(np.flatnonzero(low != np.arange(200))) <= set(np.flatnonzero(high != np.arange(200)))
