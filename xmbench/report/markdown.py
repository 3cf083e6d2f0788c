"""A short Markdown summary of result records, for pull-request comments."""

from __future__ import annotations

from typing import Any

from xmbench.report.captions import caption_samples_markdown
from xmbench.results.leaderboard import format_value, leaderboard_frame, markdown_text, to_markdown


def render_markdown(
    records: list[dict[str, Any]],
    title: str = "xmbench results",
    rank_by: str | None = None,
    sources: list[str] | None = None,
) -> str:
    """Headline (the leading models and where they sit between floor and ceiling), then the table."""
    frame = leaderboard_frame(records, rank_by=rank_by, sources=sources)
    metric = frame.attrs["rank_by"]
    captioning = frame.attrs.get("task") == "image-to-text"
    models = frame[frame["role"] == "model"]
    lines = [f"## {markdown_text(title)}", ""]
    if len(models):
        best = models[models["rank"] == models["rank"].min()]
        names = ", ".join(f"**{markdown_text(m)}**" for m in best["model"])
        value = ", ".join(format_value(v) for v in best[metric])
        tie = " (statistically tied)" if len(best) > 1 else ""
        lines.append(f"Best on `{metric}`: {names}{tie} with {value}.")
        pos = best["position"].dropna()
        if len(pos):
            scale = "floor to the ceiling" if captioning else "noise floor to the real-image ceiling"
            lines.append(f"That is {100 * pos.max():.0f}% of the way from the {scale}.")
        lines.append("")
    board = to_markdown(frame)
    lines += [board, ""]
    if captioning:
        lines.append(caption_samples_markdown(records))
    return "\n".join(lines)


__all__ = ["render_markdown"]
