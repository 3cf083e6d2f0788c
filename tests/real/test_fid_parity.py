"""FID parity with torch-fidelity's calculate_metrics: same fixture images, same random-weight Inception."""

import numpy as np
import pytest
import torch
import torch_fidelity

from xmbench.extractors.inception import UInt8Images
from xmbench.metrics.evaluator import Evaluator


def fixture_images(n: int, size: int, seed: int) -> torch.Tensor:
    """Smooth colour fields with a bright disc: varied content, like photographs (uint8 (n,3,size,size))."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, 3, size, size), dtype=np.uint8)
    for i in range(n):
        a, b, c = rng.uniform(-1, 1, (3, 3, 1, 1))
        field = 0.5 + 0.35 * np.sin(3 * (a * xx + b * yy) + 6 * c)
        cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.08, 0.3)
        disc = ((xx - cx) ** 2 + (yy - cy) ** 2 < r * r)[None]
        field = np.where(disc, rng.uniform(0, 1, (3, 1, 1)), field)
        out[i] = np.clip(field * 255 + rng.normal(0, 8, (3, size, size)), 0, 255).astype(np.uint8)
    return torch.from_numpy(out)


@pytest.mark.slow
def test_fid_matches_torch_fidelity_through_the_resize_path(inception, inception_file):
    """64x64 inputs go through TF1-bilinear resizing to 299. (At 299 the features are identical to
    torch-fidelity's own network: test_extractors; one calculate_metrics run costs ~30 CPU-seconds,
    most of it numpy's eigvals of a 2048x2048 matrix, so it runs once.)"""
    size = 64
    generated, real = fixture_images(4, size, seed=size), fixture_images(4, size, seed=size + 1)
    ref = torch_fidelity.calculate_metrics(
        input1=UInt8Images(generated),
        input2=UInt8Images(real),
        fid=True,
        feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=str(inception_file),
        cuda=False,
        batch_size=4,
        verbose=False,
        cache=False,
        save_cpu_ram=True,
    )["frechet_inception_distance"]
    ev = Evaluator(inception, ["fid"], bootstrap=0)
    ev.update_reference(real)
    ev.update(generated)
    with pytest.warns(UserWarning, match="rank-deficient"):
        value = ev.compute()["fid"]
    assert value.details["resize"] == "tf1-bilinear" and value.details["extractor"] == "inception-v3-fid"
    assert ref > 1.0
    assert value.value == pytest.approx(ref, rel=1e-5)
