"""CMMD: against an independent numpy implementation and a closed form, its invariances, naming and CI."""

import dataclasses

import numpy as np
import pytest
import torch
from conftest import random_images

from xmbench.errors import InputError
from xmbench.metrics import cmmd as cmmd_module
from xmbench.metrics.bootstrap import resample_indices
from xmbench.metrics.cmmd import CMMD, CMMD_EXTRACTOR, cmmd, cmmd_bootstrap, cmmd_name, rbf_kernel_sums
from xmbench.metrics.evaluator import Evaluator


def _numpy_cmmd(x: np.ndarray, y: np.ndarray, sigma: float = 10.0, scale: float = 1000.0) -> float:
    """Gretton et al.'s biased MMD² (Eq. 5) written out with explicit pairwise differences."""

    def mean_kernel(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * sigma**2)).mean()

    return scale * (mean_kernel(x, x) + mean_kernel(y, y) - 2 * mean_kernel(x, y))


def _embeddings(n, d=32, seed=0, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(n, d, generator=g) + shift, dim=1)


@pytest.mark.parametrize("n, m, shift", [(40, 40, 0.0), (25, 60, 0.3), (70, 9, 1.0)])
def test_matches_an_independent_numpy_implementation(n, m, shift):
    x, y = _embeddings(n, seed=1, shift=shift), _embeddings(m, seed=2)
    expected = _numpy_cmmd(x.double().numpy(), y.double().numpy())
    assert cmmd(x, y).value == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert cmmd(x.double(), y.double()).value == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_closed_form_for_two_point_masses():
    a, b = torch.zeros(1, 4), torch.tensor([[3.0, 4.0, 0.0, 0.0]])  # ‖a − b‖² = 25
    value = cmmd(a.repeat(5, 1), b.repeat(3, 1)).value
    assert value == pytest.approx(1000 * (2 - 2 * np.exp(-25 / 200)), rel=1e-12)


def test_kernel_blocks_do_not_change_the_sums():
    x, y = _embeddings(23, seed=3).double(), _embeddings(17, seed=4).double()
    assert torch.allclose(rbf_kernel_sums(x, y, block=5), rbf_kernel_sums(x, y), rtol=0, atol=1e-12)


def test_invariances():
    x, y = _embeddings(30, seed=5), _embeddings(45, seed=6, shift=0.2)
    value = cmmd(x, y).value
    assert cmmd(x, x).value == 0.0  # the V-statistic of the reference code: exactly 0, never negative
    assert cmmd(y, x).value == pytest.approx(value, rel=1e-9)  # symmetric
    assert cmmd(x[torch.randperm(30)], y.flip(0)).value == pytest.approx(value, rel=1e-6)  # order of samples
    q, _ = torch.linalg.qr(torch.randn(32, 32, generator=torch.Generator().manual_seed(7), dtype=torch.float64))
    assert cmmd(x.double() @ q, y.double() @ q).value == pytest.approx(value, rel=1e-6)  # rotations
    shifted = cmmd(x.double() + 3.0, y.double() + 3.0).value  # translations (float64: no float32 cancellation)
    assert shifted == pytest.approx(value, rel=1e-6)
    assert value > cmmd(x, _embeddings(45, seed=8)).value > 0  # a shifted set is further than a fresh draw


def test_bootstrap_replicates_are_the_metric_on_resampled_generated_sets():
    x, y = _embeddings(12, seed=9, shift=0.5).double(), _embeddings(10, seed=10).double()
    replicates = cmmd_bootstrap(x, y, resamples=4, seed=3, block=5)
    direct = [cmmd(x[torch.as_tensor(i)], y).value for i in resample_indices(12, 4, seed=3)]
    assert replicates == pytest.approx(direct, rel=1e-9)


def test_metric_class_equals_the_function_and_refuses_bad_input():
    x, y = _embeddings(20, seed=11), _embeddings(15, seed=12, shift=0.4)
    metric = CMMD()
    metric.update(y[:7], real=True)
    metric.update(y[7:], real=True)
    metric.update(x)
    assert float(metric.compute()["cmmd"]) == pytest.approx(cmmd(x, y).value, rel=1e-12)
    with pytest.raises(InputError, match="CMMD needs at least 2 generated samples"):
        cmmd(x[:1], y)
    with pytest.raises(InputError, match="CMMD: generated embeddings are"):
        cmmd(x, torch.zeros(4, 3))
    with pytest.raises(InputError, match="feed real ones with real=True"):
        CMMD().result()


def test_named_cmmd_only_on_the_papers_clip(toy):
    assert cmmd_name(dataclasses.replace(toy.info, id=CMMD_EXTRACTOR)) == "cmmd"
    assert cmmd_name(toy.info) == "mmd_rbf_toy"
    assert cmmd_name(dataclasses.replace(toy.info, id="clip:ViT-L-14/openai")) == "mmd_rbf_clip_vit_l_14_openai"
    ev = Evaluator(toy, ["cmmd"], seed=1, bootstrap=30)
    ev.update_reference(random_images(20, 1))
    ev.update(random_images(20, 2))
    (name, value), *rest = ev.compute().items()
    assert name == "mmd_rbf_toy" and not rest
    embed = [toy.images(random_images(20, s))["image_embed"] for s in (2, 1)]
    assert value.value == pytest.approx(cmmd(*embed).value, rel=1e-9)
    assert value.ci_low <= value.value <= value.ci_high and value.higher_is_better is False
    assert value.details["extractor"] == "toy-v1" and "V-statistic" in value.details["estimator"]


def test_reference_constants():
    assert (cmmd_module.SIGMA, cmmd_module.SCALE, CMMD_EXTRACTOR) == (10.0, 1000.0, "clip:ViT-L-14-336/openai")
