"""CMMD (Jayasumana et al., CVPR 2024, "Rethinking FID"): MMD² with a Gaussian RBF kernel on CLIP embeddings.

k(x, y) = exp(−‖x − y‖² / (2σ²)), σ = 10, on L2-normalised image embeddings of CLIP ViT-L/14 at 336 px
(`clip:ViT-L-14-336/openai`), reported ×1000. The estimator is the reference implementation's
(google-research/cmmd, `distance.py`): the biased, minimum-variance V-statistic of Gretton et al. 2012,
Eq. 5 — the kernel means include the diagonal — so CMMD(x, x) = 0 exactly and the value is never
negative (unlike KID's unbiased U-statistic). Lower is better.

Naming: the value is `cmmd` only when the embeddings come from `clip:ViT-L-14-336/openai`; from any other
extractor yielding `image_embed` it is the same statistic reported as `mmd_rbf_<extractor>` (e.g.
`mmd_rbf_clip` for `clip-vit-b-32`, `mmd_rbf_clip_vit_l_14_openai`), never as CMMD. The Gram matrices
are computed in the embeddings' dtype, squared distances, exponentials and sums in float64, in row
blocks (memory O(block · N)).

This module holds the functional form (`cmmd`), the Metric class (`CMMD`), the Evaluator's adapter and
the registration of "cmmd".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.adapter import MetricAdapter, extractor_details, extractor_tag, metric_value
from xmbench.metrics.bootstrap import resample_counts
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.feature_sets import TwoFeatureSets
from xmbench.metrics.inputs import check_count, check_pair
from xmbench.metrics.registry import MetricContext, register_metric
from xmbench.metrics.result import MetricResult
from xmbench.metrics.value import MetricValue

#: bump by hand when CMMD's outputs change (golden-value tests in tests/metrics/test_cmmd.py)
VERSION = 1
#: the RBF bandwidth and the reporting factor of the paper and its reference code
SIGMA = 10.0
SCALE = 1000.0
#: the only extractor whose values are reported as "cmmd"
CMMD_EXTRACTOR = "clip:ViT-L-14-336/openai"
#: rows of a kernel block (memory O(BLOCK · N))
BLOCK = 1024


@dataclass(frozen=True)
class CMMDResult(MetricResult):
    """SCALE · MMD² (biased V-statistic) between n generated and m reference embeddings."""

    value: float
    n: int
    m: int

    def values(self) -> dict[str, float]:
        return {"cmmd": self.value}


def cmmd_name(info: ExtractorInfo) -> str:
    """The reported name: 'cmmd' on the paper's CLIP ViT-L/14-336, else 'mmd_rbf_<extractor>'.

    Example:
        >>> cmmd_name(ExtractorInfo("clip-vit-b-32", "", 224, "bicubic", 512))
        'mmd_rbf_clip'
    """
    return "cmmd" if info.id == CMMD_EXTRACTOR else f"mmd_rbf_{extractor_tag(info.id)}"


def rbf_kernel_sums(x: torch.Tensor, y: torch.Tensor, sigma: float = SIGMA, block: int = BLOCK) -> torch.Tensor:
    """Row sums Σ_j exp(−‖x_i − y_j‖² / (2σ²)), float64 (N,); the Gram in the inputs' dtype, the rest in float64.

    Example:
        >>> rbf_kernel_sums(torch.zeros(2, 3), torch.zeros(4, 3))
        tensor([4., 4.], dtype=torch.float64)
    """
    gamma = 1.0 / (2.0 * sigma**2)
    y_sq = y.double().square().sum(1)
    sums = []
    for lo in range(0, x.shape[0], block):
        xb = x[lo : lo + block]
        sq = (xb @ y.mT).double().mul_(-2).add_(xb.double().square().sum(1, keepdim=True)).add_(y_sq)
        sums.append(sq.clamp_(min=0).mul_(-gamma).exp_().sum(1))
    return torch.cat(sums)


def check_cmmd_inputs(generated: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both embedding sets checked (`check_pair`), at least 2 per side, cast to one float dtype (≥ float32).

    Example:
        >>> check_cmmd_inputs(torch.zeros(1, 2), torch.zeros(5, 2))
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: CMMD needs at least 2 generated samples, got 1; evaluate more samples
    """
    check_pair(generated, reference, "CMMD", what="embeddings")
    check_count(generated.shape[0], 2, "CMMD")
    check_count(reference.shape[0], 2, "CMMD", "reference sample")
    dtype = torch.promote_types(torch.promote_types(generated.dtype, reference.dtype), torch.float32)
    return generated.to(dtype), reference.to(dtype)


def cmmd(generated: torch.Tensor, reference: torch.Tensor, *, sigma: float = SIGMA, scale: float = SCALE) -> CMMDResult:
    """CMMD between generated (N,E) and reference (M,E) image embeddings; see the module docstring.

    Embeddings are used as given (the CLIP extractors' `image_embed` is already L2-normalised).

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> real = torch.nn.functional.normalize(torch.randn(50, 8, generator=g), dim=1)
        >>> cmmd(real, real).value
        0.0
        >>> round(cmmd(torch.nn.functional.normalize(real + 0.5, dim=1), real).value, 3)
        6.022
    """
    x, y = check_cmmd_inputs(generated, reference)
    n, m = x.shape[0], y.shape[0]
    xx = rbf_kernel_sums(x, x, sigma).sum() / n**2
    yy = rbf_kernel_sums(y, y, sigma).sum() / m**2
    xy = rbf_kernel_sums(x, y, sigma).sum() / (n * m)
    return CMMDResult(float(scale * (xx + yy - 2 * xy)), n, m)


def cmmd_bootstrap(
    generated: torch.Tensor,
    reference: torch.Tensor,
    *,
    resamples: int,
    seed: int = DEFAULT_SEED,
    sigma: float = SIGMA,
    scale: float = SCALE,
    block: int = BLOCK,
) -> np.ndarray:
    """CMMD over `resamples` bootstrap resamples of the generated side (reference fixed), (resamples,).

    With multinomial counts w (Σw = n) a resample's generated–generated mean is wᵀK w / n² and its
    cross mean wᵀ(K_xy 1) / (n m); kernels are built in row blocks.

    Example:
        >>> x = torch.randn(30, 4, generator=torch.Generator().manual_seed(0))
        >>> cmmd_bootstrap(x + 1, x, resamples=5).shape
        (5,)
    """
    x, y = check_cmmd_inputs(generated, reference)
    n, m = x.shape[0], y.shape[0]
    gamma = 1.0 / (2.0 * sigma**2)
    w = resample_counts(n, resamples, seed, x.device)
    yy = rbf_kernel_sums(y, y, sigma, block).sum() / m**2
    cross = w @ rbf_kernel_sums(x, y, sigma, block) / (n * m)
    xx = torch.zeros(resamples, dtype=torch.float64, device=x.device)
    x_sq = x.double().square().sum(1)
    for lo in range(0, n, block):
        sq = (x[lo : lo + block] @ x.mT).double().mul_(-2).add_(x_sq[lo : lo + block, None]).add_(x_sq)
        xx += ((sq.clamp_(min=0).mul_(-gamma).exp_() @ w.mT) * w[:, lo : lo + block].mT).sum(0)
    return (scale * (xx / n**2 + yy - 2 * cross)).cpu().numpy()


class CMMD(TwoFeatureSets):
    """CMMD as a torchmetrics Metric: keeps the embeddings of both sides (N·E floats each).

    `update(image_embed (N,E), real=False)`; `compute()` returns {"cmmd": value} (a float64 scalar,
    ×1000); `result()` the `CMMDResult`.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> real = torch.nn.functional.normalize(torch.randn(50, 8, generator=g), dim=1)
        >>> metric = CMMD()
        >>> metric.update(real, real=True)
        >>> metric.update(torch.nn.functional.normalize(real + 0.5, dim=1))
        >>> round(float(metric.compute()["cmmd"]), 3)
        6.022
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False
    label = "CMMD"
    what = "embeddings"

    def __init__(self, sigma: float = SIGMA, scale: float = SCALE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not sigma > 0:
            raise InputError(f"CMMD: sigma must be positive, got {sigma}")
        self.sigma, self.scale = sigma, scale

    def result(self) -> CMMDResult:
        """The CMMDResult of the embeddings fed so far (this process's state; compute() syncs first)."""
        return cmmd(self.features(), self.features(real=True), sigma=self.sigma, scale=self.scale)

    def compute(self) -> dict[str, torch.Tensor]:
        return self.result().tensors()


class CMMDAdapter(MetricAdapter):
    """CMMD in the Evaluator, fed `image_embed`; named by `cmmd_name`; CI from bootstrap replicates of
    the generated side."""

    key = "image_embed"
    takes_reference = True

    def __init__(self, ctx: MetricContext) -> None:
        super().__init__(ctx, CMMD())

    def compute(self) -> list[MetricValue]:
        self.require_real("CMMD")
        r = self.metric.result()
        details = {
            **extractor_details(self.ctx.extractor),
            "kernel": f"exp(-|x-y|^2 / (2*{SIGMA:g}^2))",
            "estimator": "biased V-statistic (kernel means include the diagonal), as google-research/cmmd",
            "reference_samples": r.m,
            "scale": f"MMD² ×{SCALE:g}",
        }
        replicates = None
        if self.ctx.bootstrap:
            replicates = cmmd_bootstrap(
                self.metric.features(),
                self.metric.features(real=True),
                resamples=self.ctx.bootstrap,
                seed=self.ctx.seed,
            )
        return [
            metric_value(
                self.ctx,
                name=cmmd_name(self.ctx.extractor),
                value=r.value,
                n=r.n,
                higher_is_better=False,
                details=details,
                replicates=replicates,
                scheme="generated embeddings resampled, reference fixed",
                bounds=(0.0, None),
            )
        ]


register_metric(
    "cmmd", CMMDAdapter, frozenset({"image_embed"}), version=VERSION, higher_is_better=False, min_samples=lambda o: 2
)
