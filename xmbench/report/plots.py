"""Report figures drawn with matplotlib, each returned as PNG bytes.

Inputs are plain values read from result records (no metric code): metric bars with confidence
intervals, training curves, side-by-side sample strips, the per-attribute (and per-skill) accuracy heatmap.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROLE_COLOURS = {"ceiling": "#5a9e5a", "reference": "#9a8c3c", "floor": "#b55a5a"}
#: models' colours, in leaderboard order (distinct from the calibration roles' green, olive and red)
MODEL_COLOURS = ("#3b6ea8", "#e08a2c", "#8a5fb5", "#2aa3a3", "#c2569b", "#6b6b6b", "#1f4e79", "#b8860b", "#5c3d99")
#: a floor more than this many times beyond every other row's interval is cut at the panel's edge
FLOOR_CUT = 3.0


def row_colours(roles: Sequence[str]) -> list[str]:
    """One colour per model row (cycling after len(MODEL_COLOURS)), the role colour for calibration rows.

    Example:
        >>> row_colours(["ceiling", "model", "model", "floor"])
        ['#5a9e5a', '#3b6ea8', '#e08a2c', '#b55a5a']
    """
    out, k = [], 0
    for role in roles:
        if role in ROLE_COLOURS:
            out.append(ROLE_COLOURS[role])
        else:
            out.append(MODEL_COLOURS[k % len(MODEL_COLOURS)])
            k += 1
    return out


def _axis_limit(values: np.ndarray, highs: np.ndarray, roles: Sequence[str]) -> float | None:
    """Right edge of a panel whose floor row dwarfs the rest (lower-is-better distances), else None."""
    floor = [k for k, r in enumerate(roles) if r == "floor"]
    rest = [k for k, r in enumerate(roles) if r != "floor"]
    if not floor or not rest:
        return None
    top = float(np.nanmax(np.maximum(values[rest], highs[rest])))
    if not top > 0 or not np.nanmax(values[floor]) > FLOOR_CUT * top:
        return None
    return 1.25 * top


def _png(fig: plt.Figure, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def metric_bars_png(panels: Sequence[dict], columns: int = 3) -> bytes:
    """One panel per metric: horizontal bars per model with CI whiskers, calibration rows coloured by role.

    Each panel: {"metric", "higher_is_better", "models", "roles", "values", "lows", "highs"}.
    """
    rows = -(-len(panels) // columns)
    height = 0.32 * len(panels[0]["models"]) + 0.9
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, height * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for ax, p in zip(axes.flat, panels, strict=False):
        y = np.arange(len(p["models"]))
        v = np.asarray(p["values"], dtype=float)
        lo = np.where(np.isnan(p["lows"]), v, p["lows"])
        hi = np.where(np.isnan(p["highs"]), v, p["highs"])
        ax.barh(y, v, color=row_colours(p["roles"]))
        # the interval as drawn whiskers: a percentile bootstrap interval need not contain the estimate
        ax.hlines(y, lo, hi, color="black", linewidth=1)
        ax.plot(np.concatenate([lo, hi]), np.concatenate([y, y]), "|", color="black", markersize=7)
        limit = _axis_limit(v, hi, p["roles"])
        if limit is not None:
            _cut_floor(ax, y, v, p["roles"], limit)
        ax.set_yticks(y, labels=list(p["models"]), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{p['metric']} ({'higher' if p['higher_is_better'] else 'lower'} is better)", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def _cut_floor(ax: plt.Axes, y: np.ndarray, v: np.ndarray, roles: Sequence[str], limit: float) -> None:
    """Clip the x axis at `limit` and mark each floor row beyond it with ▶ and its value."""
    left = min(0.0, float(np.nanmin(v)))
    ax.set_xlim(left, limit)
    for k, role in enumerate(roles):
        if role == "floor" and v[k] > limit:
            ax.plot([limit], [y[k]], marker=">", color="black", markersize=8, clip_on=False)
            ax.text(0.97 * limit, y[k], f"{v[k]:.4g} ▶", ha="right", va="center", fontsize=7, color="white")


def _series(rows: Sequence[dict[str, float]], key: str) -> list[tuple[float, ...]]:
    """(step, value[, low, high]) of the rows where `key` is a finite number, with its interval when logged."""
    out = []
    for r in rows:
        v = r.get(key)
        if isinstance(v, (int, float)) and math.isfinite(v):
            band = (r.get(f"{key}_low"), r.get(f"{key}_high"))
            out.append((r["step"], v, *band) if None not in band else (r["step"], v))
    return out


def training_curves_png(
    curves: dict[str, list[dict[str, float]]],
    keys: Sequence[str] | None = None,
    chosen: dict[str, int] | None = None,
) -> bytes:
    """One panel per model: each logged series against the training step.

    Args:
        curves: model -> curve rows ("step" and the logged values; an evaluation's interval as
            `KEY_low` / `KEY_high`, drawn as a band).
        keys: the series to draw (default: every logged value but rates, CPU seconds and interval bounds).
        chosen: model -> the step its shipped checkpoint stops at, drawn as a dashed line.

    Example:
        >>> rows = [{"step": s, "loss": 1 / s, "acc": s / 4, "acc_low": s / 5, "acc_high": s / 3} for s in (1, 2, 3)]
        >>> training_curves_png({"m": rows}, keys=["acc"], chosen={"m": 3})[:4]
        b'\x89PNG'
    """
    models = list(curves)
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.2), squeeze=False)
    skipped = ("step", "images_per_s", "cpu_s", "eval_cpu_s")
    for ax, model in zip(axes[0], models, strict=False):
        rows = curves[model]
        logged = sorted({k for r in rows for k in r} - set(skipped))
        for key in keys or [k for k in logged if not k.endswith(("_low", "_high"))]:
            pts = _series(rows, key)
            if pts:
                line = ax.plot([p[0] for p in pts], [p[1] for p in pts], label=key, linewidth=1.2)[0]
                banded = [p for p in pts if len(p) == 4]
                if banded:
                    xs, _, lo, hi = zip(*banded, strict=True)
                    ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        if chosen and model in chosen:
            ax.axvline(chosen[model], color="black", linestyle="--", linewidth=0.9, label=f"step {chosen[model]}")
        ax.set_title(model, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def sample_comparison_png(strips: dict[str, np.ndarray], captions: Sequence[str]) -> bytes:
    """Rows: models; columns: the same captions. strips: model -> uint8 (K,3,H,W) for `captions`."""
    models, k = list(strips), len(captions)
    fig, axes = plt.subplots(len(models), k, figsize=(1.35 * k + 1.2, 1.45 * len(models) + 1.0), squeeze=False)
    for r, model in enumerate(models):
        for c in range(k):
            ax = axes[r][c]
            ax.set_xticks([]), ax.set_yticks([])
            if c < strips[model].shape[0]:
                ax.imshow(strips[model][c].transpose(1, 2, 0), interpolation="nearest")
            if r == 0:
                ax.set_title("\n".join(textwrap.wrap(captions[c], 18)), fontsize=6)
            if c == 0:
                ax.set_ylabel(model, fontsize=8, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return _png(fig, dpi=110)


def plain_label(text: str) -> str:
    """`text` drawn literally by matplotlib: a `$` would start mathtext, so it is escaped.

    Example:
        >>> print(plain_label("model $x$"))
        model \\$x\\$
    """
    return str(text).replace("$", r"\$")


def heatmap_png(models: Sequence[str], attributes: Sequence[str], values: np.ndarray, title: str) -> bytes:
    """A models × attributes (or skills) grid of accuracies in [0,1] with the numbers written in; every
    label drawn literally (`plain_label`)."""
    fig, ax = plt.subplots(figsize=(0.9 * len(attributes) + 2.5, 0.45 * len(models) + 1.4))
    im = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
    labels = [plain_label(a) for a in attributes]
    ax.set_xticks(range(len(attributes)), labels=labels, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(models)), labels=[plain_label(m) for m in models], fontsize=8)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if not np.isnan(values[i, j]):
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if values[i, j] > 0.6 else "white",
                )
    fig.colorbar(im, ax=ax, fraction=0.04)
    ax.set_title(plain_label(title), fontsize=10)
    return _png(fig)
