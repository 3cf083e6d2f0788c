"""The metric sanity ladder: degrade real test data step by step and check that each metric follows.

Reference: the first `n_ref` images of the suite's val split. Evaluated: the first `n_eval` test images
(mode dropping: `n_eval` draws with replacement from the test images whose every object is a kept
pair), degraded per axis and level. For every (axis, metric) the Spearman rank correlation between
level and value is reported; targets name the axes each metric is meant to see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from xmbench.data.base import Suite
from xmbench.data.rendered import RenderedSplit, render_split
from xmbench.extractors.base import Extractor
from xmbench.metrics.attributes import accuracies, judge_batch
from xmbench.metrics.bootstrap import bootstrap_ci
from xmbench.metrics.clip_score import clip_score
from xmbench.metrics.fd import ReferenceStats, fd_to_reference, stats_from_features
from xmbench.metrics.inception_score import inception_score
from xmbench.metrics.r_precision import r_precision
from xmbench.sanity import degradations
from xmbench.sanity.targets import scene_groups

#: axis -> (levels, what a level means); level 0 is the clean data
AXES: dict[str, tuple[tuple[float, ...], str]] = {
    "blur": ((0.0, 0.4, 0.6, 0.8, 1.0, 1.5), "Gaussian sigma, pixels"),
    "noise": ((0.0, 0.02, 0.04, 0.08, 0.12, 0.16), "noise std, [0,1] units"),
    "colour": ((0.0, 0.03, 0.06, 0.1, 0.15, 0.2), "red-up / blue-down tint, [0,1] units"),
    "mode_drop": ((0, 8, 16, 20, 22, 23), "colour-shape pairs dropped, of 24"),
    "caption_shuffle": ((0.0, 0.2, 0.4, 0.6, 0.8, 1.0), "share of images with a wrong caption"),
}
METRICS: tuple[str, ...] = ("fd", "is", "clip_score", "r_precision", "attribute_accuracy")
#: (metric, axis) -> the sign rho must have (|rho| >= RHO_TARGET)
EXPECTED: dict[tuple[str, str], int] = {
    **{("fd", a): +1 for a in ("blur", "noise", "colour", "mode_drop")},
    ("is", "mode_drop"): -1,
    **{(m, "caption_shuffle"): -1 for m in ("clip_score", "r_precision", "attribute_accuracy")},
}
#: (metric, axis) pairs whose value must not move by more than half the clean level's bootstrap CI width
UNCHANGED: frozenset[tuple[str, str]] = frozenset({("fd", "caption_shuffle")})
RHO_TARGET = 0.95
_IMAGE_AXES = {"blur": degradations.blur, "noise": degradations.noise, "colour": degradations.colour_shift}
_N_PAIRS = 24


@dataclass(frozen=True)
class LadderConfig:
    """n_eval: evaluated images per level; n_ref: reference images; bootstrap: resamples of the FD CI."""

    n_eval: int = 2000
    n_ref: int = 2000
    seed: int = 0
    bootstrap: int = 200
    axes: tuple[str, ...] = tuple(AXES)
    r_candidates: int = 100


def degrade(
    axis: str, level: float, real: RenderedSplit, n: int, seed: int
) -> tuple[torch.Tensor, list[str], list[dict]]:
    """(images, captions, records) of `axis` at `level` from the real split."""
    if axis == "mode_drop":
        idx = degradations.mode_drop(real.records, _N_PAIRS - int(level), n, seed)
        return real.images[idx], [real.captions[i] for i in idx], [real.records[i] for i in idx]
    images, captions, records = real.images[:n], real.captions[:n], real.records[:n]
    if axis == "caption_shuffle":
        order = degradations.shuffle_captions(n, level, seed)
        return images, [captions[i] for i in order], [records[i] for i in order]
    return _IMAGE_AXES[axis](images, level, seed), list(captions), list(records)


def measure(
    extractor: Extractor,
    images: torch.Tensor,
    captions: list[str],
    records: list[dict],
    reference: ReferenceStats,
    config: LadderConfig,
) -> tuple[dict[str, float], torch.Tensor]:
    """Every metric of METRICS on one set; also returns the features (for the FD CI)."""
    out = extractor.images(images.to(extractor.device))
    text = extractor.text(captions)
    groups = scene_groups(captions, records)
    mu, sigma = stats_from_features(out["features"])
    values = {
        "fd": fd_to_reference(mu, sigma, reference),
        "is": inception_score(out["logits"], splits=10, seed=config.seed).mean,
        "clip_score": clip_score(out["image_embed"], text).value,  # 100·mean max(cos, 0), as in records
        "r_precision": r_precision(
            image_embed=out["image_embed"],
            text_embed=text,
            groups=groups,
            candidates=config.r_candidates,
            folds=10,
            seed=config.seed,
        ).mean,
        "attribute_accuracy": accuracies(judge_batch(out["attributes"], captions, records))["caption"],
    }
    return values, out["features"]


def reference_stats(extractor: Extractor, suite: Suite, n_ref: int) -> ReferenceStats:
    """Mean and covariance of the extractor's features on the first n_ref val images."""
    ref = render_split(suite, "val", limit=n_ref)
    mu, sigma = stats_from_features(extractor.images(ref.images.to(extractor.device))["features"])
    return ReferenceStats(mu, sigma, len(ref.images), extractor.info.id, extractor.info.weights_hash)


def run_ladder(
    extractor: Extractor, suite: Suite, config: LadderConfig, log: Callable[[str], None] = lambda s: None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Long table (axis, level, metric, value) and the clean FD with its bootstrap CI."""
    reference = reference_stats(extractor, suite, config.n_ref)
    real = render_split(suite, suite.eval_split)
    rows = []
    clean_features = None
    for axis in config.axes:
        for level in AXES[axis][0]:
            images, captions, records = degrade(axis, level, real, config.n_eval, config.seed)
            values, features = measure(extractor, images, captions, records, reference, config)
            if axis == "caption_shuffle" and level == 0:
                clean_features = features
            rows += [{"axis": axis, "level": level, "metric": m, "value": v} for m, v in values.items()]
            log(f"{axis} {level:g}: " + ", ".join(f"{m} {v:.4g}" for m, v in values.items()))
    fd_clean: dict[str, Any] = {}
    if clean_features is not None and config.bootstrap > 0:

        def stat(idx: np.ndarray) -> float:
            return fd_to_reference(*stats_from_features(clean_features[torch.as_tensor(idx)]), reference)

        lo, hi = bootstrap_ci(stat, len(clean_features), config.bootstrap, 0.95, config.seed)
        fd_clean = {"ci_low": lo, "ci_high": hi}
    return pd.DataFrame(rows), fd_clean


def summarise(table: pd.DataFrame, fd_clean: dict[str, Any]) -> pd.DataFrame:
    """One row per (axis, metric): Spearman rho of level vs value, the target and whether it is met."""
    rows = []
    for (axis, metric), g in table.groupby(["axis", "metric"], sort=False):
        values = g["value"].to_numpy()
        constant = np.ptp(values) == 0
        rho = float("nan") if constant else float(spearmanr(g["level"], values).statistic)
        target, ok = "", None
        if (metric, axis) in EXPECTED:
            sign = EXPECTED[(metric, axis)]
            target = f"rho {'>=' if sign > 0 else '<='} {sign * RHO_TARGET:+.2f}"
            ok = bool(np.isfinite(rho) and sign * rho >= RHO_TARGET)
        elif (metric, axis) in UNCHANGED and fd_clean:
            # the percentile bootstrap of FD is biased upward (a resample repeats images), so its interval
            # need not contain the point estimate: "unchanged" = every change within the CI's half-width
            target = "|change| <= CI half-width"
            ok = bool(np.abs(values - values[0]).max() <= (fd_clean["ci_high"] - fd_clean["ci_low"]) / 2)
        rows.append(
            {
                "axis": axis,
                "metric": metric,
                "rho": rho,
                "first": values[0],
                "last": values[-1],
                "target": target,
                "ok": ok,
            }
        )
    return pd.DataFrame(rows)


def plot_png(table: pd.DataFrame) -> bytes:
    """A grid of line plots (rows: metrics, columns: axes) as PNG bytes."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_names = list(dict.fromkeys(table["axis"]))
    metrics = list(dict.fromkeys(table["metric"]))
    fig, grid = plt.subplots(
        len(metrics), len(axes_names), figsize=(2.6 * len(axes_names), 1.9 * len(metrics)), squeeze=False
    )
    for r, metric in enumerate(metrics):
        for c, axis in enumerate(axes_names):
            g = table[(table["axis"] == axis) & (table["metric"] == metric)]
            ax = grid[r][c]
            marked = (metric, axis) in EXPECTED or (metric, axis) in UNCHANGED
            ax.plot(g["level"], g["value"], marker="o", color="C0" if marked else "0.6")
            ax.tick_params(labelsize=7)
            if r == 0:
                ax.set_title(f"{axis}\n({AXES[axis][1]})", fontsize=8)
            if c == 0:
                ax.set_ylabel(metric, fontsize=8)
    fig.suptitle("metric sanity ladder (blue: axes the metric must see)", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
