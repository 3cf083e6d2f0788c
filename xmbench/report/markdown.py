"""A short Markdown summary of result records, for pull-request comments."""

from __future__ import annotations

from typing import Any

from xmbench.report.captions import caption_samples_markdown
from xmbench.results.boards import Board, group_boards
from xmbench.results.leaderboard import format_value, markdown_text, to_markdown


def _board_summary(board: Board, level: int) -> list[str]:
    """Headline (the leading models and where they sit between floor and ceiling), the table, and the
    captions under a heading of `level`."""
    frame = board.frame
    metric = frame.attrs["rank_by"]
    captioning = frame.attrs.get("task") == "image-to-text"
    models = frame[frame["role"] == "model"]
    lines = []
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
    lines += [to_markdown(frame), ""]
    if captioning:
        lines.append(caption_samples_markdown(board.records, level=level))
    return lines


def render_markdown(
    records: list[dict[str, Any]],
    title: str = "xmbench results",
    rank_by: str | None = None,
    sources: list[str] | None = None,
    labels: list[str] | None = None,
) -> str:
    """The summary of each (suite, task, protocol) board; with several, each under a `###` heading.

    A model several runs hold has a row per run, `<model> (<run>)` (see xmbench.results.runs).

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> from xmbench.results import read_records
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> md = render_markdown(read_records([folder]), title="shapes")
        >>> [line for line in md.splitlines() if line.startswith("#")]
        ['## shapes', '### shapes, image → text, protocol ...', '#### Captions of the same images',
         '### shapes, text → image, protocol ...']
    """
    boards = group_boards(records, rank_by=rank_by, sources=sources, labels=labels)
    lines = [f"## {markdown_text(title)}", ""]
    for board in boards:
        if len(boards) > 1:
            lines += [f"### {markdown_text(board.heading)}", ""]
        lines += _board_summary(board, level=3 if len(boards) == 1 else 4)
    return "\n".join(lines)


__all__ = ["render_markdown"]
