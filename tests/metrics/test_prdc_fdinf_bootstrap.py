import numpy as np
import pytest
import torch

from xmbench.errors import InputError
from xmbench.metrics.bootstrap import bootstrap_ci, bootstrap_mean_ci, percentile_interval, resample_counts
from xmbench.metrics.fd import ReferenceStats
from xmbench.metrics.fd_infinity import fd_infinity
from xmbench.metrics.prdc import PRDC, prdc


def _naive_prdc(real, fake, k_pr=3, k_dc=5):
    """Direct transcription of the definitions with full numpy distance matrices; on a ball's edge is inside
    for precision / recall (NVlabs) and outside for density / coverage (Naeem et al.'s prdc)."""
    real, fake = real.numpy(), fake.numpy()
    drr = np.linalg.norm(real[:, None] - real[None], axis=2)
    dff = np.linalg.norm(fake[:, None] - fake[None], axis=2)
    drf = np.linalg.norm(real[:, None] - fake[None], axis=2)
    r_pr, r_dc = np.sort(drr, 1)[:, k_pr], np.sort(drr, 1)[:, k_dc]
    f_pr = np.sort(dff, 1)[:, k_pr]
    precision = (drf <= r_pr[:, None]).any(0).mean()
    recall = (drf <= f_pr[None, :]).any(1).mean()
    density = (drf < r_dc[:, None]).sum() / (k_dc * fake.shape[0])
    coverage = (drf.min(1) < r_dc).mean()
    return precision, recall, density, coverage


def test_prdc_matches_naive_definitions():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(150, 5, generator=g, dtype=torch.float64)
    fake = torch.randn(120, 5, generator=g, dtype=torch.float64) * 1.3 + 0.4
    r = prdc(generated=fake, reference=real)
    assert (r.precision, r.recall, r.density, r.coverage) == pytest.approx(_naive_prdc(real, fake), rel=1e-12)


def test_prdc_identical_and_disjoint_sets():
    x = torch.randn(100, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    same = prdc(generated=x.clone(), reference=x)
    assert (same.precision, same.recall, same.coverage) == (1.0, 1.0, 1.0)
    far = prdc(generated=x + 100, reference=x)
    assert (far.precision, far.recall, far.density, far.coverage) == (0.0, 0.0, 0.0, 0.0)
    m = PRDC()
    m.update(x[:50])
    m.update(x[50:])
    m.update(x, real=True)
    assert float(m.compute()["precision"]) == 1.0
    assert {k: float(v) for k, v in m.compute().items()} == prdc(generated=x, reference=x).values()
    with pytest.raises(InputError, match="at least 6 reference samples"):
        prdc(generated=x, reference=x[:5])


def test_fd_infinity_removes_the_finite_sample_bias():
    d = 8
    ref = ReferenceStats(torch.zeros(d), torch.eye(d), 0, "t", "h")  # exact population statistics
    feats = torch.randn(4000, d, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    r = fd_infinity(feats, ref, points=8, n_min=200, seed=0)
    assert r.values() == {"fd_inf": r.value}
    assert r.fds[0] > 0.03  # FD at N=200 is biased upwards (the true FD is 0)
    assert abs(r.value) < 0.25 * r.fds[0]  # the intercept is far closer to the truth
    assert r.r2 > 0.9 and r.ci[0] <= r.value <= r.ci[1]
    with pytest.raises(InputError, match="n_min"):
        fd_infinity(feats[:10], ref, n_min=10)


def test_bootstrap_mean_ci_matches_normal_theory_and_is_seeded():
    x = torch.randn(2000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    lo, hi = bootstrap_mean_ci(x, resamples=2000, seed=1)
    half = 1.96 * float(x.std()) / 2000**0.5
    assert (hi - lo) / 2 == pytest.approx(half, rel=0.1)
    assert lo < float(x.mean()) < hi
    assert (lo, hi) == bootstrap_mean_ci(x, resamples=2000, seed=1)
    assert (lo, hi) != bootstrap_mean_ci(x, resamples=2000, seed=2)
    generic = bootstrap_ci(lambda idx: float(x[torch.as_tensor(idx)].mean()), 2000, 2000, seed=1)
    assert generic == pytest.approx((lo, hi), rel=1e-9)  # same resamples, same interval
    assert resample_counts(50, 7, 0).sum(1).tolist() == [50.0] * 7


def test_bootstrap_rejects_bad_settings():
    with pytest.raises(InputError, match="confidence"):
        bootstrap_mean_ci(torch.ones(5), confidence=95)
    with pytest.raises(InputError, match="≥ 0"):
        bootstrap_mean_ci(torch.ones(5), resamples=-1)
    assert percentile_interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))
