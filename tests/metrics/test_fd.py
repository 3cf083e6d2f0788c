import numpy as np
import pytest
import scipy.linalg
import torch
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torchmetrics.image.fid import FrechetInceptionDistance, _compute_fid

from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.fd import (
    FrechetDistance,
    RankDeficientWarning,
    add_gram,
    congruence_eigvals,
    fd_to_reference,
    frechet_distance,
    frechet_distance_features,
    stats_from_features,
)
from xmbench.metrics.reference import ReferenceStats, sym_sqrt


def _spd(d, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=torch.float64)
    return scale * (a @ a.mT / d + 0.1 * torch.eye(d, dtype=torch.float64))


def _gauss(n, mu, sigma, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, len(mu), generator=g, dtype=torch.float64) @ torch.linalg.cholesky(sigma).mT + mu


def test_closed_form_commuting_covariances():
    d = 6
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    a, b = torch.linspace(0.5, 3.0, d, dtype=torch.float64), torch.linspace(2.0, 0.1, d, dtype=torch.float64)
    mu1, mu2 = torch.zeros(d, dtype=torch.float64), torch.arange(d, dtype=torch.float64) / 3
    expected = float((mu1 - mu2).square().sum() + (a.sqrt() - b.sqrt()).square().sum())
    fd = frechet_distance(mu1, q @ torch.diag(a) @ q.mT, mu2, q @ torch.diag(b) @ q.mT)
    assert fd == pytest.approx(expected, rel=1e-12)


def test_general_covariances_against_scipy_sqrtm():
    s1, s2 = _spd(20, 1), _spd(20, 2, 3.0)
    mu1, mu2 = torch.zeros(20, dtype=torch.float64), torch.full((20,), 0.2, dtype=torch.float64)
    covmean = scipy.linalg.sqrtm(s1.numpy() @ s2.numpy()).real
    expected = float((mu1 - mu2).square().sum()) + np.trace(s1.numpy() + s2.numpy() - 2 * covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_lapack_and_matmul_congruences_give_the_eigenvalues_of_the_product():
    sigma, sigma_r = _spd(30, 3), _spd(30, 4, 2.0)
    expected = np.sort(np.linalg.eigvals(sigma_r.numpy() @ sigma.numpy()).real)
    lapack = congruence_eigvals(sigma, torch.linalg.cholesky(sigma_r), "cholesky")  # dsygst + dsyevd on CPU
    matmul = congruence_eigvals(sigma, sym_sqrt(sigma_r), "sqrt")  # √Σr Σ √Σr, eigvalsh
    assert np.allclose(np.sort(lapack.numpy()), expected, rtol=1e-10)
    assert np.allclose(np.sort(matmul.numpy()), expected, rtol=1e-10)


def test_sampled_gaussians_approach_closed_form():
    d = 4
    mu1, mu2 = torch.zeros(d, dtype=torch.float64), torch.tensor([1.0, 0, -1, 0.5], dtype=torch.float64)
    s1, s2 = torch.diag(torch.tensor([1.0, 2, 0.5, 1], dtype=torch.float64)), torch.eye(d, dtype=torch.float64) * 2
    expected = frechet_distance(mu1, s1, mu2, s2)
    fd = frechet_distance_features(_gauss(200_000, mu1, s1, 1), _gauss(200_000, mu2, s2, 2)).value
    assert fd == pytest.approx(expected, rel=0.01)


def test_identical_inputs_give_zero_and_never_negative():
    x = _gauss(3000, torch.full((32,), 0.5, dtype=torch.float64), _spd(32, 3), 4).float()
    m = FrechetDistance(32)
    for chunk in x.split(7):
        m.update(chunk)
    for chunk in x.flip(0).split(64):  # the same samples in another order
        m.update(chunk, real=True)
    mu, sigma, _ = m.generated_stats()
    ref = m.reference_stats()
    assert not torch.equal(sigma, ref.sigma)  # different summation order: not bitwise equal
    assert 0.0 <= float(m.compute()["fd"]) < 1e-9
    for k in range(5):  # tiny perturbations never give a negative distance
        assert fd_to_reference(mu, sigma * (1 + 1e-15 * k), ref) >= 0.0


def test_singular_reference_falls_back_to_the_symmetric_sqrt():
    x = _gauss(10, torch.zeros(16, dtype=torch.float64), _spd(16, 20), 21)  # rank 9 < 16
    y = _gauss(500, torch.zeros(16, dtype=torch.float64), _spd(16, 22), 23)
    ref = ReferenceStats(*stats_from_features(x), 10, "t", "h")
    assert ref.factor_kind == "sqrt"
    (mu_r, s_r), (mu, s) = stats_from_features(x), stats_from_features(y)
    covmean = scipy.linalg.sqrtm(s.numpy() @ s_r.numpy()).real
    expected = float((mu - mu_r).square().sum()) + np.trace(s.numpy() + s_r.numpy() - 2 * covmean)
    assert fd_to_reference(mu, s, ref) == pytest.approx(expected, rel=1e-6)


def test_parity_with_torchmetrics_and_torch_fidelity():
    gen = _gauss(2000, torch.zeros(64, dtype=torch.float64), _spd(64, 5), 6)
    real = _gauss(2500, torch.full((64,), 0.1, dtype=torch.float64), _spd(64, 7, 1.5), 8)
    ours = frechet_distance_features(gen, real).value
    tf = fid_statistics_to_metric(fid_features_to_statistics(gen), fid_features_to_statistics(real), False)
    assert ours == pytest.approx(tf["frechet_inception_distance"], rel=1e-6)
    (mu1, s1), (mu2, s2) = stats_from_features(real), stats_from_features(gen)
    assert ours == pytest.approx(float(_compute_fid(mu1, s1, mu2, s2)), rel=1e-6)

    class Identity(torch.nn.Module):
        num_features = 64

        def forward(self, x):
            return x

    tm = FrechetInceptionDistance(feature=Identity())
    tm.update(real, real=True)
    tm.update(gen, real=False)
    assert ours == pytest.approx(float(tm.compute()), rel=1e-6)
    ours_metric = FrechetDistance(64)
    ours_metric.update(gen)
    ours_metric.update(real, real=True)
    assert float(ours_metric.compute()["fd"]) == pytest.approx(float(tm.compute()), rel=1e-6)


def test_gram_accumulates_the_lower_triangle_in_place():
    x = torch.randn(50, 9, dtype=torch.float64)
    acc = torch.zeros(9, 9, dtype=torch.float64)
    out = add_gram(add_gram(acc, x[:20]), x[20:])
    assert out.data_ptr() == acc.data_ptr()  # accumulated into the state, no copy
    assert torch.allclose(out.tril(), (x.mT @ x).tril(), rtol=1e-12, atol=1e-12)
    transposed = torch.zeros(9, 9, dtype=torch.float64).mT  # a non-contiguous state is made contiguous first
    assert torch.allclose(add_gram(transposed, x).tril(), (x.mT @ x).tril(), rtol=1e-12, atol=1e-12)


def test_batch_size_independence():
    x = _gauss(640, torch.zeros(24, dtype=torch.float64), _spd(24, 9), 10).float()
    ref = ReferenceStats(
        *stats_from_features(_gauss(900, torch.zeros(24, dtype=torch.float64), _spd(24, 11), 12)), 900, "toy", "h"
    )
    values = []
    for bs in (1, 7, 64):
        m = FrechetDistance(24, reference=ref)
        for chunk in x.split(bs):
            m.update(chunk)
        values.append(float(m.compute()["fd"]))
    assert values[1] == pytest.approx(values[0], rel=1e-9) and values[2] == pytest.approx(values[0], rel=1e-9)


def test_reference_stats_roundtrip_and_pytorch_fid_format(tmp_path):
    mu, sigma = stats_from_features(_gauss(500, torch.zeros(8, dtype=torch.float64), _spd(8, 13), 14))
    ref = ReferenceStats(mu, sigma, 500, "toy-v1", "ab" * 32)
    ref.save(tmp_path / "ref.npz")
    back = ReferenceStats.load(tmp_path / "ref.npz")
    assert (back.count, back.extractor_id, back.weights_hash) == (500, "toy-v1", "ab" * 32)
    assert back._factor is not None and back.factor_kind == "cholesky"
    assert torch.allclose(back.factor() @ back.factor().mT, sigma, atol=1e-12)
    ref.to_pytorch_fid(tmp_path / "pf.npz")
    with np.load(tmp_path / "pf.npz") as z:
        assert set(z.files) == {"mu", "sigma"} and z["sigma"].dtype == np.float64
    imported = ReferenceStats.from_pytorch_fid(tmp_path / "pf.npz", extractor_id="toy-v1")
    assert torch.equal(imported.sigma, sigma) and imported.count == 0
    with pytest.raises(InputError, match="from_pytorch_fid"):
        ReferenceStats.load(tmp_path / "pf.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable npz"):
        ReferenceStats.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "nomu.npz", sigma=sigma.numpy())
    with pytest.raises(InputError, match="missing"):
        ReferenceStats.from_pytorch_fid(tmp_path / "nomu.npz")


def test_reference_from_other_extractor_or_weights_is_refused():
    ref = ReferenceStats(torch.zeros(8), torch.eye(8), 100, "toy-v1", "ab" * 32)
    info = ExtractorInfo("other-v1", "ab" * 32, None, "none", 8)
    with pytest.raises(InputError, match="extractor 'toy-v1'"):
        ref.check_compatible(info)
    with pytest.raises(InputError, match="weights"):
        ref.check_compatible(ExtractorInfo("toy-v1", "cd" * 32, None, "none", 8))
    with pytest.raises(InputError, match="dimension"):
        ref.check_compatible(ExtractorInfo("toy-v1", "ab" * 32, None, "none", 16))


def test_rank_deficient_warning_and_bad_features():
    m = FrechetDistance(16, reference=ReferenceStats(torch.zeros(16), torch.eye(16), 1000, "t", "h"))
    m.update(torch.randn(5, 16))
    with pytest.warns(RankDeficientWarning, match="5 generated samples < feature dimension 16"):
        m.compute()
    with pytest.raises(InputError, match="NaN"):
        m.update(torch.full((3, 16), float("nan")))
    with pytest.raises(InputError, match=r"\(N,16\)"):
        m.update(torch.randn(3, 8))
    with pytest.raises(InputError, match="at least 2"):
        FrechetDistance(4, reference=ReferenceStats(torch.zeros(4), torch.eye(4), 10, "t", "h")).compute()


def test_dead_reference_units_are_dropped_exactly():
    # two dimensions never vary in the reference (dead ReLU units): Σ_r is singular, its support is not
    x = _gauss(400, torch.zeros(12, dtype=torch.float64), _spd(12, 30), 31)
    x[:, [3, 7]] = 0.0
    y = _gauss(300, torch.full((12,), 0.3, dtype=torch.float64), _spd(12, 32), 33)
    (mu_r, s_r), (mu, s) = stats_from_features(x), stats_from_features(y)
    ref = ReferenceStats(mu_r, s_r, 400, "t", "h")
    assert ref.factor_kind == "cholesky" and ref.factor().shape == (10, 10)
    covmean = scipy.linalg.sqrtm(s_r.numpy() @ s.numpy()).real
    expected = float((mu - mu_r).square().sum()) + np.trace(s.numpy() + s_r.numpy() - 2 * covmean)
    assert fd_to_reference(mu, s, ref) == pytest.approx(expected, rel=1e-9)
    assert fd_to_reference(mu, s, ref) == pytest.approx(float(_compute_fid(mu_r, s_r, mu, s)), rel=1e-9)


def test_reference_without_variance():
    # every reference image identical: Σ_r = 0, so FD = ‖μ−μ_r‖² + tr Σ
    ref = ReferenceStats(torch.ones(5, dtype=torch.float64), torch.zeros(5, 5, dtype=torch.float64), 10, "t", "h")
    sigma = 2 * torch.eye(5, dtype=torch.float64)
    assert fd_to_reference(torch.zeros(5, dtype=torch.float64), sigma, ref) == pytest.approx(5 + 10, rel=1e-12)
