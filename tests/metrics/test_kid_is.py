import numpy as np
import pytest
import torch
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric
from torchmetrics.image.inception import InceptionScore as TMInceptionScore
from torchmetrics.image.kid import KernelInceptionDistance as TMKernelInceptionDistance

from xmbench.errors import InputError
from xmbench.metrics.inception_score import InceptionScore, inception_score
from xmbench.metrics.kid import KernelInceptionDistance, kernel_inception_distance, kid_bootstrap, poly_kernel

_TF_KID = dict(
    kid_subsets=20,
    kid_subset_size=50,
    kid_degree=3,
    kid_gamma=None,
    kid_coef0=1,
    kid_kernel="poly",
    kid_kernel_poly_degree=3,
    kid_kernel_poly_gamma=None,
    kid_kernel_poly_coef0=1,
    verbose=False,
)


def mmd2_unbiased(k_xx, k_xy, k_yy):
    """Reference unbiased MMD² from full kernel matrices (equal sizes m)."""
    m = k_xx.shape[0]
    xx = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    yy = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return xx + yy - 2 * k_xy.sum() / (m * m)


class Identity(torch.nn.Module):
    def forward(self, x):
        return x


def _feats(n, d, seed, shift=0.0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def test_kid_equals_torch_fidelity_on_the_same_subsets():
    gen, real = _feats(300, 16, 0, 0.3), _feats(250, 16, 1)
    ours = kernel_inception_distance(gen, real, subsets=20, subset_size=50, seed=7)
    tf = kid_features_to_metric(gen, real, rng_seed=7, **_TF_KID)
    assert ours.mean == pytest.approx(tf["kernel_inception_distance_mean"], rel=1e-6)
    assert ours.std == pytest.approx(tf["kernel_inception_distance_std"], rel=1e-6)


def test_kid_equals_torchmetrics_on_full_sets():
    # torchmetrics draws unseeded subsets; with one subset of all samples the draw doesn't matter
    gen, real = _feats(120, 8, 2, 0.2), _feats(120, 8, 3)
    tm = TMKernelInceptionDistance(feature=Identity(), subsets=1, subset_size=120)
    tm.update(real, real=True)
    tm.update(gen, real=False)
    ours = KernelInceptionDistance(subsets=1, subset_size=120)
    ours.update(gen)
    ours.update(real, real=True)
    assert float(ours.compute()["kid"]) == pytest.approx(float(tm.compute()[0]), rel=1e-6)


def test_kid_is_seeded_and_handles_small_sets():
    gen, real = _feats(80, 8, 4), _feats(90, 8, 5)
    a = kernel_inception_distance(gen, real, subsets=5, subset_size=40, seed=3)
    b = kernel_inception_distance(gen, real, subsets=5, subset_size=40, seed=3)
    assert np.array_equal(a.subset_values, b.subset_values)
    with pytest.warns(UserWarning, match="subset size reduced from 1000 to 80"):
        assert kernel_inception_distance(gen, real, subsets=2).subset_size == 80
    with pytest.raises(InputError, match="at least 2"):
        kernel_inception_distance(gen[:1], real)


def test_kid_bootstrap_matches_direct_computation():
    gen, real = _feats(40, 6, 6, 0.5), _feats(40, 6, 7)
    full, values = kid_bootstrap(gen, real, resamples=3, seed=11, block=16)
    assert full == pytest.approx(
        float(mmd2_unbiased(poly_kernel(gen, gen), poly_kernel(gen, real), poly_kernel(real, real))), rel=1e-10
    )
    idx = np.random.RandomState(11).randint(0, 40, size=(3, 40))
    for b in range(3):  # resampled generated set with duplicates: off-diagonal by position
        x = gen[torch.as_tensor(idx[b])]
        kxx, kyy = poly_kernel(x, x), poly_kernel(real, real)
        direct = (
            (kxx.sum() - kxx.diagonal().sum()) / (40 * 39)
            + (kyy.sum() - kyy.diagonal().sum()) / (40 * 39)
            - 2 * poly_kernel(x, real).mean()
        )
        assert values[b] == pytest.approx(float(direct), rel=1e-10)


def test_is_equals_torch_fidelity_population_std():
    logits = _feats(230, 10, 8) * 2
    ours = inception_score(logits, splits=10, seed=2020)
    tf = isc_features_to_metric(logits, splits=10, shuffle=True, rng_seed=2020)
    assert ours.mean == pytest.approx(tf["inception_score_mean"], rel=1e-6)
    assert ours.std == pytest.approx(tf["inception_score_std"], rel=1e-6)


def test_is_equals_torchmetrics_with_bessel_std():
    logits = (_feats(200, 12, 9) * 3).float()
    torch.manual_seed(5)
    perm = torch.randperm(200)
    tm = TMInceptionScore(feature=Identity(), splits=10)
    tm.update(logits)
    torch.manual_seed(5)
    tm_mean, tm_std = tm.compute()
    ours = inception_score(logits[perm], splits=10, seed=None, std="bessel")
    assert ours.mean == pytest.approx(float(tm_mean), rel=1e-6)
    assert ours.std == pytest.approx(float(tm_std), rel=1e-6)
    pop = inception_score(logits[perm], splits=10, seed=None)
    assert ours.std == pytest.approx(pop.std * (10 / 9) ** 0.5, rel=1e-12)


def test_is_closed_form_and_metric_matches_functional():
    # confident, uniformly spread predictions over C classes: IS -> C
    logits = torch.eye(5).repeat(40, 1) * 50
    assert inception_score(logits, splits=4, seed=None).mean == pytest.approx(5.0, rel=1e-9)  # balanced splits
    m = InceptionScore(splits=4, seed=None)
    for chunk in logits.split(7):
        m.update(chunk)
    assert float(m.compute()["is"]) == pytest.approx(5.0, rel=1e-9)
    with pytest.raises(InputError, match="at least 20"):
        inception_score(logits[:10], splits=10)
    with pytest.raises(InputError, match="std convention"):
        inception_score(logits, std="sample")
