"""Evaluator adapters for the built-in metrics (registered on import): fd, fd_infinity, kid, is,
clip_score, r_precision, prdc. Each turns extractor outputs into MetricValues with bootstrap CIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError
from xmbench.extractors.base import ExtractorInfo
from xmbench.metrics.bootstrap import (
    bootstrap_mean_values,
    bootstrap_values,
    centre_replicates,
    percentile_interval,
    resample_counts,
)
from xmbench.metrics.clip_score import HESSEL_W, TORCHMETRICS_SCALE, CLIPScore, per_image_clip_cos
from xmbench.metrics.fd import FrechetDistance, ReferenceStats, fd_to_reference, stats_from_sums, warn_if_rank_deficient
from xmbench.metrics.fd_infinity import fd_infinity
from xmbench.metrics.inception_score import inception_score
from xmbench.metrics.kid import kernel_inception_distance, kid_bootstrap
from xmbench.metrics.prdc import prdc
from xmbench.metrics.r_precision import group_key, r_precision
from xmbench.metrics.registry import EvalMetric, MetricContext, register_metric
from xmbench.metrics.value import MetricValue

INCEPTION_FID_ID = "inception-v3-fid"


def fd_name(info: ExtractorInfo) -> str:
    """'fid' for the standard Inception pool3 protocol, else 'fd_<family>' ('shapes-v1' -> 'fd_shapes')."""
    return "fid" if info.id == INCEPTION_FID_ID else f"fd_{info.id.split('-')[0]}"


def _extractor_details(info: ExtractorInfo) -> dict[str, Any]:
    return {"extractor": info.id, "weights_hash": info.weights_hash, "resize": info.resize}


def _cat(chunks: list[torch.Tensor], what: str) -> torch.Tensor:
    if not chunks:
        raise InputError(f"no {what} were fed; call update first")
    return torch.cat(chunks)


def _reference(ctx: MetricContext, metric: str) -> ReferenceStats:
    if ctx.reference is None:
        raise InputError(
            f"{metric} needs a reference: pass reference=ReferenceStats(...) to the Evaluator or call "
            "update_reference(real_images)"
        )
    return ctx.reference


def _value(
    ctx: MetricContext,
    name: str,
    value: float,
    replicates: np.ndarray | None,
    std: float | None,
    n: int,
    higher_is_better: bool,
    details: dict[str, Any],
    scheme: str = "",
    bounds: tuple[float | None, float | None] = (None, None),
) -> MetricValue:
    """A MetricValue carrying the bias-corrected percentile CI of `replicates` and the centred replicates
    clipped to the metric's range `bounds` (replicates None: no bootstrap)."""
    if replicates is None:
        return MetricValue(name, value, None, None, std, n, higher_is_better, details)
    replicates = centre_replicates(replicates, value, *bounds)
    lo, hi = percentile_interval(replicates, ctx.confidence)
    details = {
        **details,
        "resamples": len(replicates),
        "confidence": ctx.confidence,
        "ci": "bias-corrected percentile bootstrap (replicates centred on the estimate)"
        + (f"; {scheme}" if scheme else ""),
    }
    return MetricValue(name, value, lo, hi, std, n, higher_is_better, details, [float(v) for v in replicates])


class _StoresGenerated(EvalMetric):
    """Keeps the per-sample outputs under `key` (same tensor objects as the batch: no copies)."""

    key = "features"

    def __init__(self, ctx: MetricContext) -> None:
        self.ctx = ctx
        self.gen: list[torch.Tensor] = []
        self.real: list[torch.Tensor] = []

    def update(self, outputs: Mapping[str, Any]) -> None:
        self.gen.append(outputs[self.key].detach())


class FDMetric(_StoresGenerated):
    """FD / FID: streaming float64 sums; generated features kept only when bootstrap CIs are requested."""

    def __init__(self, ctx: MetricContext) -> None:
        super().__init__(ctx)
        self.fd = FrechetDistance(ctx.extractor.feature_dim)

    def update(self, outputs: Mapping[str, Any]) -> None:
        self.fd.update(outputs["features"])
        if self.ctx.bootstrap:
            super().update(outputs)

    def compute(self) -> list[MetricValue]:
        ref = _reference(self.ctx, "FD")
        mu, sigma, n = self.fd.generated_stats()
        warn_if_rank_deficient(n, self.fd.num_features)
        warn_if_rank_deficient(ref.count, self.fd.num_features, "reference")
        details = {
            **_extractor_details(self.ctx.extractor),
            "reference_count": ref.count,
            "dtype": "float64",
            "trace_sqrt": f"eigvalsh(F^T S F), F F^T = S_ref ({ref.factor_kind})",
        }
        replicates = self._bootstrap(ref) if self.ctx.bootstrap else None
        return [
            _value(
                self.ctx,
                fd_name(self.ctx.extractor),
                fd_to_reference(mu, sigma, ref),
                replicates,
                None,
                n,
                False,
                details,
                "generated side resampled, reference statistics fixed",
                (0.0, None),
            )
        ]

    def _bootstrap(self, ref: ReferenceStats) -> np.ndarray:
        x = _cat(self.gen, "features")
        ref.factor()
        ref = ref.to(x.device)  # once, not per resample
        n = x.shape[0]
        centre = x.double().mean(0)
        # weighted moments in the features' dtype (float32: half the cost; ~1e-7 relative, far below a CI's width)
        xc = (x.double() - centre).to(torch.promote_types(x.dtype, torch.float32))
        counts = resample_counts(n, self.ctx.bootstrap, self.ctx.seed, x.device).to(xc.dtype)
        out = np.empty(counts.shape[0])
        d = xc.shape[1]
        chunk = max(1, 2**24 // max(d * d, n * d))  # resamples per batched einsum (bounded memory)
        for lo in range(0, counts.shape[0], chunk):
            w = counts[lo : lo + chunk]
            s1, s2 = (w @ xc).double(), torch.einsum("bn,ni,nj->bij", w, xc, xc).double()
            for b in range(w.shape[0]):
                mu, sigma = stats_from_sums(s1[b], s2[b], n)
                out[lo + b] = fd_to_reference(mu + centre, sigma, ref)
        return out


class FDInfinityMetric(_StoresGenerated):
    def compute(self) -> list[MetricValue]:
        ref = _reference(self.ctx, "FD-infinity")
        x = _cat(self.gen, "features")
        opts = self.ctx.options
        r = fd_infinity(
            x,
            ref,
            points=opts.get("points", 15),
            n_min=opts.get("n_min"),
            seed=self.ctx.seed,
            confidence=self.ctx.confidence,
        )
        details = {
            **_extractor_details(self.ctx.extractor),
            "ns": r.ns,
            "fds": r.fds,
            "slope": r.slope,
            "r2": r.r2,
            "stderr": r.stderr,
            "ci": "intercept ± t·stderr of the linear fit in 1/N",
        }
        return [
            MetricValue(
                f"{fd_name(self.ctx.extractor)}_inf", r.value, r.ci[0], r.ci[1], None, x.shape[0], False, details
            )
        ]


class KIDMetric(_StoresGenerated):
    def update_reference(self, outputs: Mapping[str, Any]) -> None:
        self.real.append(outputs["features"].detach())

    def compute(self) -> list[MetricValue]:
        if not self.real:
            raise InputError("KID needs reference features: call update_reference(real_images)")
        x, y = _cat(self.gen, "features"), torch.cat(self.real)
        o = self.ctx.options
        r = kernel_inception_distance(x, y, o.get("subsets", 100), o.get("subset_size", 1000), self.ctx.seed)
        details = {
            **_extractor_details(self.ctx.extractor),
            "subsets": r.subsets,
            "subset_size": r.subset_size,
            "kernel": "(x.y/d + 1)^3",
            "std": "population (np.std) over subsets",
            "subset_draws": "numpy RandomState(seed).choice without replacement, generated then reference",
        }
        replicates = None
        if self.ctx.bootstrap:
            details["mmd2_full_sample"], replicates = kid_bootstrap(x, y, self.ctx.bootstrap, self.ctx.seed)
        return [
            _value(
                self.ctx,
                "kid",
                r.mean,
                replicates,
                r.std,
                x.shape[0],
                False,
                details,
                "replicates of the full-sample unbiased MMD²; generated resampled, reference fixed",
            )
        ]


class ISMetric(_StoresGenerated):
    key = "logits"

    def compute(self) -> list[MetricValue]:
        logits = _cat(self.gen, "logits")
        splits, std = self.ctx.options.get("splits", 10), self.ctx.options.get("std", "population")
        r = inception_score(logits, splits, self.ctx.seed, std)
        details = {
            **_extractor_details(self.ctx.extractor),
            "splits": splits,
            "std": r.std_convention,
            "shuffle": "numpy RandomState(seed).permutation",
        }
        replicates = None
        if self.ctx.bootstrap:
            replicates = bootstrap_values(
                lambda idx: inception_score(logits[torch.as_tensor(idx)], splits, None).mean,
                logits.shape[0],
                self.ctx.bootstrap,
                self.ctx.seed,
            )
        return [
            _value(
                self.ctx,
                "is",
                r.mean,
                replicates,
                r.std,
                logits.shape[0],
                True,
                details,
                "logits resampled, split into `splits` in resample order",
                (1.0, None),
            )
        ]


class CLIPScoreMetric(EvalMetric):
    """Streaming mean of max(cos,0); per-image values (N floats) kept only for bootstrap CIs."""

    def __init__(self, ctx: MetricContext) -> None:
        self.ctx = ctx
        self.metric = CLIPScore()
        self.per_image: list[torch.Tensor] = []

    def update(self, outputs: Mapping[str, Any]) -> None:
        self.metric.update(outputs["image_embed"], outputs["text_embed"])
        if self.ctx.bootstrap:
            self.per_image.append(per_image_clip_cos(outputs["image_embed"], outputs["text_embed"]))

    def compute(self) -> list[MetricValue]:
        mean, n = float(self.metric.compute()), int(self.metric.n)
        replicates = None
        if self.ctx.bootstrap:
            replicates = bootstrap_mean_values(torch.cat(self.per_image), self.ctx.bootstrap, self.ctx.seed)
        out = []
        for name, scale, convention in (
            ("clip_score", TORCHMETRICS_SCALE, "100·mean(max(cos,0)), clamp per image"),
            ("clip_score_hessel", HESSEL_W, "Hessel et al. 2.5·mean(max(cos,0))"),
        ):
            details = {
                **_extractor_details(self.ctx.extractor),
                "encoder": self.ctx.extractor.id,
                "convention": convention,
            }
            out.append(
                _value(
                    self.ctx,
                    name,
                    scale * mean,
                    None if replicates is None else scale * replicates,
                    None,
                    n,
                    True,
                    details,
                    "images resampled",
                    (0.0, scale),
                )
            )
        return out


class RPrecisionMetric(EvalMetric):
    def __init__(self, ctx: MetricContext) -> None:
        self.ctx = ctx
        self.img: list[torch.Tensor] = []
        self.txt: list[torch.Tensor] = []
        self.groups: list[int] = []
        self.grouped_by: set[str] = set()

    def update(self, outputs: Mapping[str, Any]) -> None:
        self.img.append(outputs["image_embed"].detach())
        self.txt.append(outputs["text_embed"].detach())
        records = outputs.get("attribute_records")
        captions = outputs["captions"]
        for i, caption in enumerate(captions):
            record = records[i] if records is not None else None
            self.grouped_by.add("attribute set" if record is not None else "caption text")
            self.groups.append(group_key(caption, record))

    def compute(self) -> list[MetricValue]:
        o = self.ctx.options
        img = _cat(self.img, "image embeddings")
        r = r_precision(
            img,
            torch.cat(self.txt),
            torch.tensor(self.groups),
            o.get("candidates", 100),
            o.get("folds", 10),
            self.ctx.seed,
        )
        details = {
            "encoder": self.ctx.extractor.id,
            "weights_hash": self.ctx.extractor.weights_hash,
            "candidates": r.candidates,
            "folds": r.folds,
            "std": "population (np.std) over folds",
            "mismatched": "drawn from other samples of a different " + " / ".join(sorted(self.grouped_by)),
            "ties": "a tie with k mismatched captions counts 1/(k+1)",
            "unit": "fraction in [0,1]",
            "fold_values": r.fold_values.tolist(),
        }
        replicates = None
        if self.ctx.bootstrap:
            replicates = bootstrap_mean_values(torch.from_numpy(r.hits), self.ctx.bootstrap, self.ctx.seed)
        return [
            _value(
                self.ctx,
                "r_precision",
                r.mean,
                replicates,
                r.std,
                img.shape[0],
                True,
                details,
                "images resampled, candidate draws fixed",
                (0.0, 1.0),
            )
        ]


class PRDCMetric(KIDMetric):
    def compute(self) -> list[MetricValue]:
        if not self.real:
            raise InputError("PRDC needs reference features: call update_reference(real_images)")
        x, y = _cat(self.gen, "features"), torch.cat(self.real)
        o = self.ctx.options
        r = prdc(y, x, o.get("k_pr", 3), o.get("k_dc", 5))
        base = {**_extractor_details(self.ctx.extractor), "k_pr": r.k_pr, "k_dc": r.k_dc, "reference_count": y.shape[0]}
        out = []
        for name, per_sample, scheme in (
            ("precision", r.gen_in_real, "generated samples resampled, reference fixed"),
            ("recall", r.real_in_gen, "real samples resampled, generated set fixed (resampling a set biases it)"),
            ("density", r.gen_density, "generated samples resampled, reference fixed"),
            ("coverage", r.real_covered, "real samples resampled, generated set fixed (resampling a set biases it)"),
        ):
            replicates = (
                bootstrap_mean_values(per_sample, self.ctx.bootstrap, self.ctx.seed) if self.ctx.bootstrap else None
            )
            bounds = (0.0, None if name == "density" else 1.0)
            out.append(
                _value(self.ctx, name, getattr(r, name), replicates, None, x.shape[0], True, dict(base), scheme, bounds)
            )
        return out


register_metric("fd", FDMetric, frozenset({"features"}))
register_metric("fd_infinity", FDInfinityMetric, frozenset({"features"}))
register_metric("kid", KIDMetric, frozenset({"features"}))
register_metric("is", ISMetric, frozenset({"logits"}))
register_metric("clip_score", CLIPScoreMetric, frozenset({"image_embed", "text_embed"}))
register_metric("r_precision", RPrecisionMetric, frozenset({"image_embed", "text_embed", "captions"}))
register_metric("prdc", PRDCMetric, frozenset({"features"}))
