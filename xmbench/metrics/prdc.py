"""Precision / recall (Kynkäänniemi et al. 2019, k=3) and density / coverage (Naeem et al. 2020, k=5).

A sample's ball has radius = distance to its k-th nearest neighbour in its own set (itself excluded).
precision = share of generated samples inside at least one real ball (k_pr); recall = share of real
samples inside at least one generated ball (k_pr); density = (1/(k·M)) Σ_gen #real balls (k_dc) holding
it; coverage = share of real balls (k_dc) holding at least one generated sample. Euclidean distances,
batched in torch (blocks of rows, so memory is O(block·N), not O(N²)); a point on a ball's edge is inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from xmbench.errors import InputError

BLOCK = 2048


@dataclass
class PRDCResult:
    precision: float
    recall: float
    density: float
    coverage: float
    k_pr: int
    k_dc: int
    # per-sample parts (their means are the four values), for bootstrap CIs
    gen_in_real: torch.Tensor  # (M,) bool: generated sample inside a real k_pr ball
    gen_density: torch.Tensor  # (M,) float64: number of real k_dc balls holding it / k_dc
    real_in_gen: torch.Tensor  # (N,) bool: real sample inside a generated k_pr ball
    real_covered: torch.Tensor  # (N,) bool: real sample's k_dc ball holds a generated sample


def kth_nn_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """(N,) distance of each row of x to its k-th nearest other row."""
    if x.shape[0] <= k:
        raise InputError(f"PRDC with k={k} needs more than {k} samples per side, got {x.shape[0]}")
    out = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
    for lo in range(0, x.shape[0], BLOCK):
        d = torch.cdist(x[lo : lo + BLOCK], x)
        out[lo : lo + BLOCK] = d.topk(k + 1, dim=1, largest=False).values[:, k]  # index 0 is the point itself
    return out


def prdc(real: torch.Tensor, generated: torch.Tensor, k_pr: int = 3, k_dc: int = 5) -> PRDCResult:
    """PRDC of generated (M,D) against real (N,D) features, computed in float64."""
    if real.ndim != 2 or generated.ndim != 2 or real.shape[1] != generated.shape[1]:
        raise InputError(f"PRDC needs features (N,D) and (M,D), got {tuple(real.shape)} and {tuple(generated.shape)}")
    r, g = real.double(), generated.double()
    r_pr, r_dc, g_pr = kth_nn_radius(r, k_pr), kth_nn_radius(r, k_dc), kth_nn_radius(g, k_pr)
    m = g.shape[0]
    gen_in_real = torch.empty(m, dtype=torch.bool, device=g.device)
    gen_density = torch.empty(m, dtype=torch.float64, device=g.device)
    real_in_gen = torch.zeros(r.shape[0], dtype=torch.bool, device=g.device)
    real_covered = torch.zeros(r.shape[0], dtype=torch.bool, device=g.device)
    for lo in range(0, m, BLOCK):
        d = torch.cdist(g[lo : lo + BLOCK], r)  # (b, N)
        gen_in_real[lo : lo + BLOCK] = (d <= r_pr).any(1)
        inside_dc = d <= r_dc
        gen_density[lo : lo + BLOCK] = inside_dc.sum(1).double() / k_dc
        real_covered |= inside_dc.any(0)
        real_in_gen |= (d <= g_pr[lo : lo + BLOCK, None]).any(0)
    return PRDCResult(
        precision=float(gen_in_real.double().mean()),
        recall=float(real_in_gen.double().mean()),
        density=float(gen_density.mean()),
        coverage=float(real_covered.double().mean()),
        k_pr=k_pr,
        k_dc=k_dc,
        gen_in_real=gen_in_real,
        gen_density=gen_density,
        real_in_gen=real_in_gen,
        real_covered=real_covered,
    )


class PRDC(Metric):
    """PRDC as a torchmetrics Metric: keeps both sides' features. compute() -> dict of four float64 tensors."""

    is_differentiable = False
    full_state_update = False

    def __init__(self, k_pr: int = 3, k_dc: int = 5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.k_pr, self.k_dc = k_pr, k_dc
        self.add_state("gen_features", [], dist_reduce_fx="cat")
        self.add_state("real_features", [], dist_reduce_fx="cat")

    def update(self, features: torch.Tensor, real: bool = False) -> None:
        (self.real_features if real else self.gen_features).append(features.detach())

    def compute(self) -> dict[str, torch.Tensor]:
        if len(self.gen_features) == 0 or len(self.real_features) == 0:  # list, or gathered tensor after sync
            raise InputError("PRDC needs both generated and real features; feed real ones with real=True")
        res = prdc(dim_zero_cat(self.real_features), dim_zero_cat(self.gen_features), self.k_pr, self.k_dc)
        return {
            k: torch.tensor(getattr(res, k), dtype=torch.float64)
            for k in ("precision", "recall", "density", "coverage")
        }
