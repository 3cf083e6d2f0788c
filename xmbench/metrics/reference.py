"""Reference statistics: the Gaussian fit (μ, Σ) of a real feature set, with a cached factor of Σ.

FD needs tr (Σ_r Σ)^½ = Σ √λᵢ(Fᵀ Σ F) for any factor F Fᵀ = Σ_r; `ReferenceStats` computes F once
(Cholesky where possible, else the symmetric square root) and stores it with μ and Σ, so that scoring
one more model against the same reference costs one symmetric eigenvalue solve.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from xmbench.atomic import atomic_write_bytes
from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo

STATS_FORMAT = "xmbench-fd-stats-2"
#: extractor id / weights hash of statistics whose origin is not known (e.g. imported from pytorch-fid)
UNKNOWN = "unknown"


def sym_sqrt(sigma: torch.Tensor) -> torch.Tensor:
    """Symmetric PSD square root (d,d) of a covariance (eigh; negative round-off eigenvalues -> 0).

    Example:
        >>> import torch
        >>> sym_sqrt(torch.diag(torch.tensor([4.0, 9.0], dtype=torch.float64)))
        tensor([[2., 0.],
                [0., 3.]], dtype=torch.float64)
    """
    sigma = (sigma + sigma.mT) / 2
    evals, evecs = torch.linalg.eigh(sigma)
    return (evecs * evals.clamp_min(0).sqrt()) @ evecs.mT


def support(sigma: torch.Tensor) -> torch.Tensor:
    """int64 indices of the dimensions with non-zero variance (diagonal > 0) of a covariance (d,d).

    A zero-variance dimension (a ReLU unit that never fires) has an all-zero row and column, so
    Σ_r Σ is block triangular and its eigenvalues are those of Σ_r Σ restricted to the support, plus
    zeros: FD needs only the support block, which is often positive definite when Σ_r is not.

    Example:
        >>> import torch
        >>> support(torch.diag(torch.tensor([1.0, 0.0, 2.0])))
        tensor([0, 2])
    """
    return torch.nonzero(sigma.diagonal() > 0).flatten()


def cov_factor(sigma: torch.Tensor) -> tuple[torch.Tensor, str]:
    """F with F Fᵀ = sigma restricted to `support(sigma)` (k,k): ("cholesky", lower L) when that block
    is positive definite, else ("sqrt", its symmetric square root).

    Example:
        >>> import torch
        >>> cov_factor(torch.eye(2, dtype=torch.float64))[1]
        'cholesky'
        >>> cov_factor(torch.ones(2, 2, dtype=torch.float64))[1]
        'sqrt'
    """
    idx = support(sigma)
    block = sigma[idx][:, idx]
    factor, info = torch.linalg.cholesky_ex(block)
    if int(info) == 0:
        return factor, "cholesky"
    return sym_sqrt(block), "sqrt"


@dataclass
class ReferenceStats:
    """Gaussian statistics of a reference (real) feature set, with the cached factor of Σ.

    Args:
        mu: mean, (d,), converted to float64.
        sigma: covariance with the (n−1) divisor, (d,d), converted to float64.
        count: number of samples behind the statistics; 0 (the default) means unknown.
        extractor_id: the extractor that produced the features; "unknown" (the default) for imported
            statistics, which then pass every compatibility check on id.
        weights_hash: that extractor's weights hash; "unknown" by default.

    Only `mu` and `sigma` are needed for imported statistics; NaN or Inf in either is refused.

    Example:
        >>> import torch
        >>> ref = ReferenceStats(torch.zeros(3), torch.eye(3))
        >>> ref.dim, ref.count, ref.extractor_id, ref.factor_kind
        (3, 0, 'unknown', 'cholesky')
        >>> ReferenceStats(torch.zeros(2), torch.full((2, 2), float("nan")))
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: reference statistics contain NaN or Inf; recompute them from the real images
    """

    mu: torch.Tensor
    sigma: torch.Tensor
    count: int = 0
    extractor_id: str = UNKNOWN
    weights_hash: str = UNKNOWN
    _factor: torch.Tensor | None = field(default=None, repr=False)
    _factor_kind: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.mu = torch.as_tensor(self.mu, dtype=torch.float64)
        self.sigma = torch.as_tensor(self.sigma, dtype=torch.float64)
        d = self.mu.shape[0] if self.mu.ndim == 1 else -1
        if self.mu.ndim != 1 or self.sigma.shape != (d, d):
            raise InputError(
                f"reference statistics need mu (d,) and sigma (d,d), got {tuple(self.mu.shape)} "
                f"and {tuple(self.sigma.shape)}"
            )
        if not (torch.isfinite(self.mu).all() and torch.isfinite(self.sigma).all()):
            raise InputError("reference statistics contain NaN or Inf; recompute them from the real images")

    @property
    def dim(self) -> int:
        """The feature dimension d."""
        return int(self.mu.shape[0])

    def factor(self) -> torch.Tensor:
        """F (k,k) with F Fᵀ = Σ_ref on its support (k ≤ d non-zero-variance dimensions; Cholesky, or the
        symmetric square root when that block is singular), computed once and cached."""
        if self._factor is None:
            self._factor, self._factor_kind = cov_factor(self.sigma)
        return self._factor

    def on_support(self, sigma: torch.Tensor) -> torch.Tensor:
        """sigma (d,d) restricted to the dimensions the factor covers (the reference's support)."""
        f = self.factor()
        if f.shape[0] == sigma.shape[0]:
            return sigma
        idx = support(self.sigma).to(sigma.device)
        return sigma[idx][:, idx]

    @property
    def factor_kind(self) -> str:
        """ "cholesky" or "sqrt" (computes the factor if needed)."""
        self.factor()
        return self._factor_kind

    def to(self, device: torch.device | str) -> ReferenceStats:
        """A copy on `device` (the cached factor moves too)."""
        f = None if self._factor is None else self._factor.to(device)
        return ReferenceStats(
            self.mu.to(device),
            self.sigma.to(device),
            self.count,
            self.extractor_id,
            self.weights_hash,
            f,
            self._factor_kind,
        )

    def check_compatible(self, info: ExtractorInfo) -> None:
        """InputError unless these statistics come from the extractor `info` (id, weights hash, dim)."""
        if self.extractor_id != UNKNOWN and self.extractor_id != info.id:
            raise InputError(
                f"reference statistics come from extractor {self.extractor_id!r}, not {info.id!r}; "
                "recompute them with the same extractor"
            )
        if self.weights_hash != UNKNOWN and info.weights_hash and self.weights_hash != info.weights_hash:
            raise InputError(
                f"reference statistics were made with weights {self.weights_hash[:12]}, the extractor "
                f"has {info.weights_hash[:12]}; recompute them with the same weights"
            )
        if self.dim != info.feature_dim:
            raise InputError(
                f"reference statistics have dimension {self.dim}, extractor {info.id!r} gives "
                f"{info.feature_dim}; recompute them with the same extractor"
            )

    # -- disk ---------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an npz (mu, sigma, factor, factor_kind, count, extractor_id, weights_hash, format), atomically."""
        buf = io.BytesIO()
        np.savez(
            buf,
            mu=self.mu.cpu().numpy(),
            sigma=self.sigma.cpu().numpy(),
            factor=self.factor().cpu().numpy(),
            factor_kind=np.str_(self.factor_kind),
            count=np.int64(self.count),
            extractor_id=np.str_(self.extractor_id),
            weights_hash=np.str_(self.weights_hash),
            format=np.str_(STATS_FORMAT),
        )
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> ReferenceStats:
        """Read statistics written by `save` (no pickle); a pytorch-fid npz needs `from_pytorch_fid`."""
        arrays = _read_npz(path)
        if "format" not in arrays:
            raise InputError(
                f"{path}: not xmbench reference statistics (no 'format'); for a pytorch-fid "
                "mu/sigma file use ReferenceStats.from_pytorch_fid"
            )
        if str(arrays["format"]) != STATS_FORMAT:
            raise InputError(f"{path}: statistics format {str(arrays['format'])!r}, expected {STATS_FORMAT!r}")
        try:
            f = torch.from_numpy(arrays["factor"]).double() if "factor" in arrays else None
            return cls(
                torch.from_numpy(arrays["mu"]),
                torch.from_numpy(arrays["sigma"]),
                int(arrays["count"]),
                str(arrays["extractor_id"]),
                str(arrays["weights_hash"]),
                f,
                str(arrays["factor_kind"]) if f is not None else "",
            )
        except (KeyError, TypeError, ValueError, RuntimeError) as e:  # a field missing or of the wrong kind
            raise InputError(f"{path}: damaged statistics ({type(e).__name__}: {e}); recompute them") from None

    @classmethod
    def from_pytorch_fid(
        cls, path: str | Path, extractor_id: str = "inception-v3-fid", weights_hash: str = UNKNOWN
    ) -> ReferenceStats:
        """Import a pytorch-fid / clean-fid style npz holding `mu` and `sigma` (count unknown)."""
        arrays = _read_npz(path)
        missing = {"mu", "sigma"} - set(arrays)
        if missing:
            raise InputError(f"{path}: missing {sorted(missing)}; a pytorch-fid statistics file holds 'mu' and 'sigma'")
        return cls(torch.from_numpy(arrays["mu"]), torch.from_numpy(arrays["sigma"]), 0, extractor_id, weights_hash)

    def to_pytorch_fid(self, path: str | Path) -> Path:
        """Write the pytorch-fid format (npz with float64 `mu`, `sigma` only), atomically."""
        buf = io.BytesIO()
        np.savez(buf, mu=self.mu.cpu().numpy(), sigma=self.sigma.cpu().numpy())
        return atomic_write_bytes(path, buf.getvalue())


def _read_npz(path: str | Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise InputError(f"reference statistics file {path} not found; compute it with update_reference") from None
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:  # truncated or damaged
        raise InputError(f"{path}: not a readable npz ({type(e).__name__}: {e}); recompute the statistics") from None
