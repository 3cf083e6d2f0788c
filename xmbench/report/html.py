"""The self-contained HTML comparison report: every figure embedded as a base64 PNG, every caption
and name HTML-escaped. Built from result records only."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import re
from typing import Any

import numpy as np
import pandas as pd

from xmbench.report import plots
from xmbench.report.captions import caption_samples_html
from xmbench.results.boards import Board, group_boards
from xmbench.results.leaderboard import format_value, headline_metrics, metric_cells
from xmbench.results.samples import decode_strip
from xmbench.results.schema import calibration_role, record_task
from xmbench.results.skills import MEAN, record_skills, skills_frame

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.3em .55em}
th{background:#f4f4f4}td{text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.ceiling td,tr.floor td,tr.reference td{color:#555;font-style:italic}
img{max-width:100%;height:auto}.meta{color:#666;font-size:.85em}summary{cursor:pointer}
table.captions td{vertical-align:top;max-width:9em;font-size:.8em}table.captions img{image-rendering:pixelated}
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _table(
    header: list[str],
    rows: list[list[str]],
    row_classes: list[str] | None = None,
    numeric: range | set[int] = frozenset(),
) -> str:
    """A table in its own horizontally scrolling container; `numeric` columns right-aligned on one line."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        cls = f' class="{html.escape(row_classes[k])}"' if row_classes else ""
        cells = "".join(f"<td{' class=num' if j in numeric else ''}>{html.escape(c)}</td>" for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _leaderboard_section(frame: pd.DataFrame) -> str:
    header, rows = metric_cells(frame)
    return (
        f"<h2>Leaderboard</h2><p class=meta>{html.escape(frame.attrs['protocol'])}; ranked by "
        f"<code>{html.escape(frame.attrs['rank_by'])}</code>; rank = 1 + models significantly better, "
        "<code>=</code> marks a statistical tie; ↑/↓ higher/lower is better; intervals are "
        f"{frame.attrs['confidence']:.0%} bootstrap CIs.</p>"
        + _table(header, rows, list(frame["role"]), numeric=range(2, len(header)))
    )


def _bars_section(frame: pd.DataFrame) -> str:
    panels = [
        {
            "metric": m,
            "higher_is_better": frame.attrs["higher_is_better"][m],
            "models": list(frame["model"]),
            "roles": list(frame["role"]),
            "values": frame[m].to_numpy(float),
            "lows": frame[f"{m}_ci_low"].to_numpy(float),
            "highs": frame[f"{m}_ci_high"].to_numpy(float),
        }
        for m in headline_metrics(frame.attrs["metrics"])
    ]
    png = plots.metric_bars_png(panels)
    return (
        "<h2>Metrics with confidence intervals</h2><p class=meta>Bars: point estimates; whiskers: "
        "confidence intervals; one colour per model; green ceiling, olive reference, red floor. A floor "
        "far beyond every other row is cut at the panel's edge (▶, its value written beside it) so that "
        "the models stay apart.</p>" + _img(png, "every headline metric per model with confidence intervals")
    )


def _curves_section(records: list[dict[str, Any]]) -> str:
    curves = {
        r["model"]["name"]: r["training"]["curves"]
        for r in records
        if isinstance(r.get("training"), dict) and r["training"].get("curves")
    }
    if not curves:
        return ""
    return "<h2>Training curves</h2>" + _img(plots.training_curves_png(curves), "training curves")


def _samples_section(records: list[dict[str, Any]]) -> str:
    with_samples = [
        r
        for r in records
        if record_task(r) == "text-to-image" and isinstance(r.get("samples"), dict) and r["samples"].get("png")
    ]
    if not with_samples:
        return ""
    captions = with_samples[0]["samples"]["captions"]
    strips = {
        r["model"]["name"]: decode_strip(r["samples"]["png"], len(r["samples"]["captions"]))
        for r in with_samples
        if r["samples"]["captions"] == captions
    }
    listing = "".join(f"<li>{html.escape(c)}</li>" for c in captions)
    return (
        "<h2>Samples: the same captions across models</h2>"
        + _img(plots.sample_comparison_png(strips, captions), "generated samples per model")
        + f"<details><summary>captions, left to right</summary><ol>{listing}</ol></details>"
    )


def _heatmap_section(records: list[dict[str, Any]]) -> str:
    rows = [
        (r["model"]["name"], r["per_attribute"])
        for r in records
        if isinstance(r.get("per_attribute"), dict) and r["per_attribute"]
    ]
    if not rows:
        return ""
    attributes = list(dict.fromkeys(a for _, pa in rows for a in pa))
    values = np.array([[float(pa.get(a, np.nan)) for a in attributes] for _, pa in rows])
    captioning = record_task(records[0]) == "image-to-text"
    what = (
        "caption correctness (exact judge of the scene)" if captioning else "attribute accuracy (shapes-v1 evaluator)"
    )
    png = plots.heatmap_png([m for m, _ in rows], attributes, values, what)
    return "<h2>Per-attribute accuracy</h2>" + _img(png, "per-attribute accuracy heatmap")


def _skills_section(records: list[dict[str, Any]]) -> str:
    """Records of suites naming skills: a models × skills heatmap (and the mean over skills), then each
    skill's worst prompts per model."""
    if not any(record_skills(r) for r in records):
        return ""
    frame = skills_frame(records)
    columns = [*frame.attrs["skills"], MEAN]
    png = plots.heatmap_png(list(frame["model"]), columns, frame[columns].to_numpy(float), "accuracy per skill")
    parts = [
        "<h2>Per-skill accuracy</h2><p class=meta>Whole-prompt attribute accuracy per skill; mean: the "
        "unweighted mean over skills.</p>" + _img(png, "per-skill accuracy heatmap")
    ]
    worst = [(r["model"]["name"], r["worst_by_skill"]) for r in records if isinstance(r.get("worst_by_skill"), dict)]
    for skill in frame.attrs["skills"]:
        rows = [
            [model, w["caption"], format_value(float(w["score"])), str(w.get("note", ""))]
            for model, by_skill in worst
            for w in by_skill.get(skill, [])
        ]
        if rows:
            table = _table(["model", "caption", "score", "what went wrong"], rows, numeric={2})
            parts.append(f"<details><summary>worst prompts of skill {html.escape(skill)}</summary>{table}</details>")
    return "".join(parts)


def _worst_section(records: list[dict[str, Any]]) -> str:
    parts = []
    for r in records:
        worst = r.get("worst_captions")
        if not worst:
            continue
        rows = [
            [str(k + 1), w["caption"], format_value(float(w["score"])), str(w.get("note", ""))]
            for k, w in enumerate(worst)
        ]
        table = _table(["#", "caption", "score", "what went wrong"], rows, numeric={0, 2})
        name = html.escape(r["model"]["name"])
        if all(float(w["score"]) >= 1.0 for w in worst):  # nothing to look at: folded away
            parts.append(f"<details><summary>{name}: every listed caption fully right</summary>{table}</details>")
        else:
            parts.append(f"<h3>{name}</h3>{table}")
    if not parts:
        return ""
    judge = "caption judge" if record_task(records[0]) == "image-to-text" else "evaluator"
    return (
        "<h2>Worst-scoring captions per model</h2><p class=meta>Lowest per-caption scores of the "
        f"{judge} (share of the caption's attributes judged right).</p>" + "".join(parts)
    )


def _environment_section(records: list[dict[str, Any]]) -> str:
    rows = []
    for r in records:
        env, t = r["environment"], r["timings"]
        hw = env.get("hardware", {}) if isinstance(env.get("hardware"), dict) else {}
        rows.append(
            [
                r["model"]["name"],
                str(env.get("xmbench", "")),
                str(env.get("git_revision") or "—")[:14],
                str(hw.get("device", "")),
                f"{float(t.get('total_s', 0.0)):.1f}",
            ]
        )
    return "<h2>Provenance</h2>" + _table(["model", "xmbench", "git", "device", "seconds"], rows, numeric={4})


def _counts(board: Board) -> str:
    models = [r for r in board.records if calibration_role(r) is None]
    kind = "captioners" if record_task(board.records[0]) == "image-to-text" else "generators"
    return f"{len(models)} models and {len(board.records) - len(models)} calibration {kind}"


def _board_sections(board: Board) -> str:
    """Every section of one board's records, in the leaderboard's row order."""
    frame = board.frame
    order = {name: k for k, name in enumerate(frame["model"])}
    # one training seed of a model sits where the leaderboard put its aggregated row
    records = sorted(
        board.records, key=lambda r: order.get(r["model"]["name"], order.get(r["model"].get("seed_group")))
    )
    return "".join(
        [
            _leaderboard_section(frame),
            _bars_section(frame),
            _samples_section(records),
            caption_samples_html(records),
            _heatmap_section(records),
            _skills_section(records),
            _worst_section(records),
            _curves_section(records),
            _environment_section(records),
        ]
    )


def _one_level_down(sections: str) -> str:
    """h2 -> h3 (and h3 -> h4 ...) for a board under its own h2; every text in it is escaped, so a tag
    is ours."""
    return re.sub(r"<(/?)h([2-5])>", lambda m: f"<{m[1]}h{int(m[2]) + 1}>", sections)


def render_html(
    records: list[dict[str, Any]],
    title: str = "xmbench report",
    rank_by: str | None = None,
    sources: list[str] | None = None,
    labels: list[str] | None = None,
) -> str:
    """The whole report as one HTML string: one set of sections per (suite, task, protocol) board.

    A model several runs hold has a row per run, `<model> (<run>)` (`labels` one per record, else the
    folders of `sources`; xmbench.results.runs); with several boards each gets an h2 heading.

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> from xmbench.results import read_records
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> real = [r for r in read_records([folder]) if r["model"]["name"] == "real"]  # one per board
        >>> page = render_html(real, title="shapes")
        >>> page.count("<h2>shapes, "), "<h3>Leaderboard</h3>" in page
        (2, True)
    """
    boards = group_boards(records, rank_by=rank_by, sources=sources, labels=labels)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = f"<h1>{html.escape(title)}</h1>"
    if len(boards) == 1:
        body = head + f"<p class=meta>{_counts(boards[0])}; generated {stamp}.</p>" + _board_sections(boards[0])
    else:
        body = head + f"<p class=meta>{len(boards)} boards, one per suite, task and protocol; generated {stamp}.</p>"
        for board in boards:
            body += f"<h2>{html.escape(board.heading)}</h2><p class=meta>{_counts(board)}.</p>"
            body += _one_level_down(_board_sections(board))
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )
