"""The caption sanity ladder: edit real shapes captions step by step and check that each caption metric follows.

Captions: the first `n` test images' own captions (the `real` captioner's: a sixth independent
description of each scene, scored against its five references). For each edit of
`xmbench.sanity.caption_edits` (swap a colour, a shape, the relation; drop a word; truncate; shuffle
captions between images) and each share of captions edited (0, 0.2, ..., 1; nested sets), every
metric is computed; the Spearman rank correlation between share and value says whether the metric
follows the edit, and the relative move from share 0 to 1 says how strongly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from xmbench.data.shapes import ShapesSuite
from xmbench.extractors.base import Extractor
from xmbench.metrics.captioning.scores import Bootstrap, CaptionSet, score_captions
from xmbench.metrics.r_precision import group_key
from xmbench.sanity.caption_edits import EDITS, edited_set

SHARES: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
CAPTION_EDITS: tuple[str, ...] = (*EDITS, "shuffle")
#: the metrics computed at every level (score_captions names) and the values the ladder reports
LADDER_METRICS: tuple[str, ...] = ("bleu", "rouge_l", "cider_d", "caption_correctness", "caption_r_precision")
REPORTED: tuple[str, ...] = (
    "bleu_4",
    "rouge_l",
    "cider_d",
    "caption_correctness",
    "caption_correctness_colour",
    "caption_correctness_shape",
    "caption_correctness_relation",
    "caption_r_precision",
)
_NGRAM = ("bleu_4", "rouge_l", "cider_d")
#: (metric, edit) pairs where the metric must fall with the share edited: rho <= -RHO_TARGET
EXPECTED: frozenset[tuple[str, str]] = frozenset(
    {(m, e) for m in _NGRAM for e in CAPTION_EDITS}
    | {("caption_correctness", e) for e in ("colour", "shape", "relation", "drop_word", "truncate", "shuffle")}
    | {("caption_correctness_colour", "colour"), ("caption_correctness_shape", "shape")}
    | {("caption_correctness_relation", "relation")}
    | {("caption_r_precision", e) for e in ("colour", "shape", "truncate", "shuffle")}
)
RHO_TARGET = 0.95


@dataclass(frozen=True)
class CaptionLadderConfig:
    """n: captioned test images; seed: edits and retrieval draws; r_candidates: retrieval candidates."""

    n: int = 1000
    seed: int = 0
    edits: tuple[str, ...] = CAPTION_EDITS
    r_candidates: int = 100


def run_caption_ladder(
    extractor: Extractor,
    suite: ShapesSuite,
    config: CaptionLadderConfig,
    log: Callable[[str], None] = lambda s: None,
) -> pd.DataFrame:
    """Long table (edit, share, metric, value) over every edit and share."""
    indices = list(range(config.n))
    captions = suite.captions("test", indices)
    references = suite.references("test", indices)
    records = suite.records("test", indices)
    with torch.no_grad():
        image_embed = extractor.images(suite.batch("test", indices).images.to(extractor.device))["image_embed"]
    groups = torch.tensor([group_key("", r) for r in records], dtype=torch.int64)
    encoder = {"id": extractor.info.id, "weights_hash": extractor.info.weights_hash}
    options = {"caption_r_precision": {"candidates": config.r_candidates}}
    rows = []
    for edit in config.edits:
        for share in SHARES:
            edited = edited_set(captions, edit, share, config.seed)
            with torch.no_grad():
                text_embed = extractor.text(edited)
            data = CaptionSet(edited, references, records, image_embed.cpu(), text_embed.cpu(), None, groups, encoder)
            values = score_captions(list(LADDER_METRICS), data, Bootstrap(0, seed=config.seed), options)
            rows += [{"edit": edit, "share": share, "metric": m, "value": values[m].value} for m in REPORTED]
            log(f"{edit} {share:g}: " + ", ".join(f"{m} {values[m].value:.4g}" for m in REPORTED))
    return pd.DataFrame(rows)


def summarise_captions(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (edit, metric): Spearman rho of share vs value, value at 0 and 1, relative move, target."""
    rows = []
    for (edit, metric), g in table.groupby(["edit", "metric"], sort=False):
        values = g["value"].to_numpy()
        rho = float("nan") if np.ptp(values) == 0 else float(spearmanr(g["share"], values).statistic)
        first, last = float(values[0]), float(values[-1])
        expected = (metric, edit) in EXPECTED
        rows.append(
            {
                "edit": edit,
                "metric": metric,
                "rho": rho,
                "at_0": first,
                "at_1": last,
                "relative_move": (last - first) / first if first else float("nan"),
                "target": f"rho <= -{RHO_TARGET}" if expected else "",
                "ok": bool(np.isfinite(rho) and rho <= -RHO_TARGET) if expected else None,
            }
        )
    return pd.DataFrame(rows)


def markdown_table(summary: pd.DataFrame) -> str:
    """Edits as rows, metrics as columns: 'relative move (rho)', a mark where the target is missed."""
    metrics = list(dict.fromkeys(summary["metric"]))
    lines = ["| edit | " + " | ".join(metrics) + " |", "|---" + "|---:" * len(metrics) + "|"]
    for edit, g in summary.groupby("edit", sort=False):
        cells = []
        for m in metrics:
            row = g[g["metric"] == m].iloc[0]
            rho = "—" if not np.isfinite(row["rho"]) else f"{row['rho']:+.2f}"
            mark = {True: " ✓", False: " ✗", None: ""}[row["ok"]]
            cells.append(f"{100 * row['relative_move']:+.1f}% (ρ {rho}){mark}")
        lines.append(f"| {edit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
