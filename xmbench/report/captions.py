"""Image -> text records in the reports: the evaluation images with every model's caption side by side.

Every caption, model name and reference is escaped (HTML, or Markdown table cells).
"""

from __future__ import annotations

import base64
import html
from typing import Any

from xmbench.results.leaderboard import markdown_text
from xmbench.results.samples import decode_strip, encode_strip
from xmbench.results.schema import record_task


def _samples(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The captioning records holding samples of the same images, and the first one's samples."""
    with_samples = [
        r
        for r in records
        if record_task(r) == "image-to-text" and isinstance(r.get("samples"), dict) and r["samples"].get("png")
    ]
    if not with_samples:
        return [], None
    first = with_samples[0]["samples"]
    return [r for r in with_samples if r["samples"].get("indices") == first.get("indices")], first


def caption_samples_html(records: list[dict[str, Any]]) -> str:
    """An HTML section: a row of images, then one row of captions per model (and the references)."""
    same, first = _samples(records)
    if first is None:
        return ""
    count = len(first["captions"])
    images = decode_strip(first["png"], count)
    cells = []
    for k in range(count):
        png = base64.b64decode(encode_strip(images[k : k + 1]))
        data = base64.b64encode(png).decode("ascii")
        cells.append(f'<td><img alt="image {k + 1}" width=64 src="data:image/png;base64,{data}"></td>')
    rows = ["<tr><th>image</th>" + "".join(cells) + "</tr>"]
    if first.get("references"):
        refs = "".join(f"<td>{html.escape(c)}</td>" for c in first["references"])
        rows.append(f"<tr class=reference><th>a reference</th>{refs}</tr>")
    for r in same:
        caps = "".join(f"<td>{html.escape(c) or '<em>(empty)</em>'}</td>" for c in r["samples"]["captions"])
        rows.append(f"<tr><th>{html.escape(r['model']['name'])}</th>{caps}</tr>")
    table = f"<div class=scroll><table class=captions>{''.join(rows)}</table></div>"
    return f"<h2>Samples: every model's caption of the same images</h2>{table}"


def _cell(text: str) -> str:
    return markdown_text(text).replace("|", "\\|") or "*(empty)*"


def caption_samples_markdown(records: list[dict[str, Any]], limit: int = 4, level: int = 3) -> str:
    """A Markdown table under a heading of `level` (###): one row per image (up to `limit`), a column per model."""
    same, first = _samples(records)
    if first is None:
        return ""
    names = [r["model"]["name"] for r in same]
    lines = ["| image | " + " | ".join(_cell(n) for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    for k in range(min(limit, len(first["captions"]))):
        caps = [_cell(r["samples"]["captions"][k]) for r in same]
        lines.append(f"| {first['indices'][k]} | " + " | ".join(caps) + " |")
    return "\n".join([f"{'#' * level} Captions of the same images", "", *lines, ""])


__all__ = ["caption_samples_html", "caption_samples_markdown"]
