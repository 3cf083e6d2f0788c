"""FD from cached reference statistics at d=2048 vs torchmetrics' FID compute on the same statistics.

Both sides get the same float64 (mu, sigma) pairs. xmbench: `fd_to_reference` with the reference's
factor F (F Fᵀ = Σ_ref, Cholesky) cached (computed once, outside the timing, as `ReferenceStats`
stores it on disk; its one-off cost is printed too): two matmuls and one `eigvalsh`. Peer:
torchmetrics 1.9 `_compute_fid` (eigvals of the non-symmetric Σ₁Σ₂, the code
its FrechetInceptionDistance.compute runs). Prints medians, the ratio and the relative difference.
Usage: python benchmarks/fd_speed.py [--dim 2048] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import torch
from _timing import race  # benchmarks/ is on sys.path when run as a script
from torchmetrics.image.fid import _compute_fid

from xmbench.metrics.fd import ReferenceStats, fd_to_reference, stats_from_features


def _stats(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(d, d, generator=g, dtype=torch.float64) / d**0.5
    x = torch.randn(n, d, generator=g, dtype=torch.float64) @ mix + torch.rand(d, generator=g, dtype=torch.float64)
    return stats_from_features(x.relu())  # non-negative, correlated, like Inception pool3 features


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    mu_r, sigma_r = _stats(args.n, args.dim, 0)
    mu_g, sigma_g = _stats(args.n, args.dim, 1)
    ref = ReferenceStats(mu_r, sigma_r, args.n, "benchmark", "none")
    t = time.perf_counter()
    ref.factor()
    cache_s = time.perf_counter() - t
    o, p, fd_ours, fd_peer = race(
        lambda: fd_to_reference(mu_g, sigma_g, ref),
        lambda: float(_compute_fid(mu_r, sigma_r, mu_g, sigma_g)),
        args.repeats,
    )
    print(
        f"FD d={args.dim}, {torch.get_num_threads()} threads: xmbench (cached factor) {o:.2f} s; torchmetrics "
        f"_compute_fid {p:.2f} s; ratio {p / o:.1f}x; one-off {ref.factor_kind} factor {cache_s:.2f} s"
    )
    print(
        f"FD values: xmbench {fd_ours:.10g}, torchmetrics {fd_peer:.10g}, relative difference "
        f"{abs(fd_ours - fd_peer) / abs(fd_peer):.2e}"
    )


if __name__ == "__main__":
    main()
