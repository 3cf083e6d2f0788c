"""Leaderboard tables from result records: a pandas frame, Markdown and CSV.

One row per model; each metric as value with its confidence interval and a direction arrow; the
calibration generators as ceiling / reference / floor rows; ranks by one metric where models whose
difference is not significant share a rank (marked "="). One frame takes the records of one suite,
task and protocol (xmbench.results.boards groups mixed ones into one frame each); rows of one model
from several runs are labelled by run (xmbench.results.runs).
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from xmbench.errors import InputError, unknown_name
from xmbench.results.runs import label_runs
from xmbench.results.schema import calibration_role, describe_protocol, protocol_key, record_task
from xmbench.results.seeds import aggregate_seeds
from xmbench.results.significance import difference

#: default ranking metric, the first one present wins
RANK_PREFERENCE = (
    "attribute_accuracy",
    "fd_shapes",
    "fid",
    "r_precision",
    "clip_score",
    "caption_correctness",
    "cider_d",
)
_ROLE_ORDER = {"ceiling": 0, "model": 1, "reference": 2, "floor": 3}


def check_same_protocol(records: list[dict[str, Any]], sources: list[str], what: str = "leaderboard") -> None:
    """Refuse records of different suites or protocols (InputError naming the first two that differ)."""
    if not records:
        raise InputError("no result records to compare")
    key0 = protocol_key(records[0])
    for record, source in zip(records[1:], sources[1:], strict=False):
        if protocol_key(record) != key0:
            kind = "suites" if record["suite"].get("suite") != records[0]["suite"].get("suite") else "protocols"
            raise InputError(
                f"refusing to mix {kind}: {sources[0]} is {describe_protocol(records[0])} but {source} "
                f"is {describe_protocol(record)}; use one {what} per suite and protocol"
            )


def check_comparable(records: list[dict[str, Any]], sources: list[str] | None = None) -> None:
    """Refuse records of different suites or protocols, or two records of one model that no run label tells apart."""
    sources = sources or [r["model"]["name"] for r in records]
    check_same_protocol(records, sources)
    seen: dict[str, str] = {}
    for record, source in zip(records, sources, strict=False):
        name = record["model"]["name"]
        if name in seen:
            raise InputError(
                f"two records for model {name!r} ({seen[name]} and {source}) and nothing tells their runs apart; "
                "pass one record per model and run, or give each input its own --label"
            )
        seen[name] = source


#: column order: names (or name prefixes ending in "*") in this order, then the rest alphabetically
DISPLAY_ORDER = (
    "attribute_accuracy",
    "attribute_accuracy_*",
    "fid",
    "fd_*",
    "kid",
    "is",
    "clip_score",
    "clip_score_*",
    "r_precision",
    "precision",
    "recall",
    "density",
    "coverage",
    "caption_correctness",
    "caption_correctness_*",
    "caption_hallucination",
    "caption_parse_rate",
    "bleu_*",
    "meteor",
    "rouge_l",
    "cider_d",
    "spice",
    "clip_s",
    "refclip_s",
    "caption_r_precision",
    "vocabulary",
    "distinct_1",
    "distinct_2",
    "unique",
    "novel",
)
#: what the calibration rows are, per task (the legend under a leaderboard)
CALIBRATION_LEGEND = {
    "text-to-image": "the calibration generators (real held-out images, nearest-caption retrieval from the "
    "training set, noise)",
    "image-to-text": "the calibration captioners (a held-out human caption scored by the other references, a "
    "random training caption, the most frequent training caption)",
}


def _display_key(name: str) -> tuple[int, str]:
    for k, pattern in enumerate(DISPLAY_ORDER):
        if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return k, name
    return len(DISPLAY_ORDER), name


def metric_names(records: list[dict[str, Any]]) -> list[str]:
    """Every metric any record holds, in display order (DISPLAY_ORDER, then alphabetical)."""
    names = {m for r in records for m in r["metrics"]}
    return sorted(names, key=_display_key)


def defined(record: dict[str, Any], metric: str) -> bool:
    """Whether `record` holds a value for `metric` (a recorded null means undefined, e.g. nothing judged)."""
    return record["metrics"].get(metric, {}).get("value") is not None


#: shown in the CSV only when the headline metric beside them is there (BLEU-4 stands for BLEU-1..3,
#: distinct-2 for distinct-1 and the vocabulary)
HEADLINE_HIDDEN = {
    "bleu_1": "bleu_4",
    "bleu_2": "bleu_4",
    "bleu_3": "bleu_4",
    "vocabulary": "distinct_2",
    "distinct_1": "distinct_2",
}


def headline_metrics(names: list[str]) -> list[str]:
    """Metrics shown in the Markdown table: all but refinements of another listed metric
    (`attribute_accuracy_shape` of `attribute_accuracy`, `fd_shapes_inf` of `fd_shapes`) and BLEU-1..3
    beside BLEU-4; the CSV has all."""
    return [
        m
        for m in names
        if not any(m != o and m.startswith(o + "_") for o in names) and HEADLINE_HIDDEN.get(m) not in names
    ]


def default_rank_metric(records: list[dict[str, Any]]) -> str:
    names = metric_names(records)
    return next((m for m in RANK_PREFERENCE if m in names), names[0])


def leaderboard_frame(
    records: list[dict[str, Any]],
    rank_by: str | None = None,
    sources: list[str] | None = None,
    labels: list[str] | None = None,
) -> pd.DataFrame:
    """One row per record: model, role (model/ceiling/reference/floor), rank, tie mark, position between
    floor and ceiling, metrics.

    Metric columns: `<name>`, `<name>_ci_low`, `<name>_ci_high`, `<name>_n`. Rows are sorted ceiling first,
    then models by rank, then reference and floor. Records of several training seeds of one model
    (xmbench.results.seeds) become one row: `seeds` counts them, `<name>` is the mean over seeds,
    `<name>_seed_std` their spread, and ranks compare models across seeds. A model several runs hold
    (by `labels`, one per record, else by the folders of `sources`) has a row per run, `<model> (<run>)`.

    Example:
        >>> from pathlib import Path
        >>> import xmbench
        >>> from xmbench.results import read_record, read_records
        >>> folder = Path(xmbench.__file__).parents[1] / "leaderboards" / "results" / "shapes"  # in a clone
        >>> key = protocol_key(read_record(next(folder.glob("dfgan--*.json"))))  # the text -> image board
        >>> frame = leaderboard_frame([r for r in read_records([folder]) if protocol_key(r) == key])
        >>> frame.attrs["rank_by"], list(frame["role"])[0], list(frame["role"])[-1]
        ('attribute_accuracy', 'ceiling', 'floor')
        >>> to_markdown(frame).splitlines()[0]
        "Protocol: suite 'shapes' at 32px, test split, 2000 samples, extractor shapes-v1 (key `...`)."
    """
    sources = sources or [r["model"]["name"] for r in records]
    records, sources = aggregate_seeds(label_runs(records, sources, labels), sources)
    check_comparable(records, sources)
    names = metric_names(records)
    rank_by = rank_by or default_rank_metric(records)
    if rank_by not in names:
        raise unknown_name("metric to rank by", rank_by, names)
    rows = []
    for r in records:
        row: dict[str, Any] = {
            "model": r["model"]["name"],
            "role": calibration_role(r) or "model",
            "kind": r["model"]["kind"],
        }
        for m in names:
            v = r["metrics"].get(m)
            row[m] = v["value"] if v and v["value"] is not None else float("nan")
            row[f"{m}_ci_low"] = v["ci_low"] if v and v["ci_low"] is not None else float("nan")
            row[f"{m}_ci_high"] = v["ci_high"] if v and v["ci_high"] is not None else float("nan")
            row[f"{m}_n"] = v["n"] if v else pd.NA
            if v and "seed_values" in v:
                row[f"{m}_seed_std"] = float("nan") if v["seed_std"] is None else v["seed_std"]
        row["seeds"] = len(r["model"].get("training_seeds", [])) or pd.NA
        rows.append(row)
    frame = pd.DataFrame(rows)
    ranks, tied = _ranks(records, rank_by)
    frame["rank"] = pd.array(ranks, dtype="Int64")
    frame["tied"] = tied
    frame["position"] = _positions(records, rank_by)
    directions = _directions(records, names)
    sign = -1.0 if directions[rank_by] else 1.0
    frame["_role"] = [_ROLE_ORDER[role] for role in frame["role"]]
    frame["_rank"] = [r if r is not None else 0 for r in ranks]
    frame["_value"] = sign * frame[rank_by].fillna(float("inf") * sign)
    frame = (
        frame.sort_values(["_role", "_rank", "_value"], kind="stable")
        .drop(columns=["_role", "_rank", "_value"])
        .reset_index(drop=True)
    )
    frame.attrs.update(
        rank_by=rank_by,
        metrics=names,
        higher_is_better=directions,
        scales=_scales(records, names),
        confidence=float(records[0]["protocol"].get("confidence", 0.95)),
        protocol=describe_protocol(records[0]),
        protocol_key=protocol_key(records[0]),
        suite=str(records[0]["suite"].get("suite")),
        task=record_task(records[0]),
        images_per_prompt=int(records[0]["protocol"].get("images_per_prompt", 1)),
    )
    return frame


def _directions(records: list[dict[str, Any]], names: list[str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for r in records:
        for m, v in r["metrics"].items():
            out.setdefault(m, bool(v["higher_is_better"]))
    return {m: out[m] for m in names}


def _scales(records: list[dict[str, Any]], names: list[str]) -> dict[str, str]:
    """Metric -> the scale label its records carry in details["scale"] (e.g. kid: "MMD² ×1"), if any."""
    out: dict[str, str] = {}
    for r in records:
        for m, v in r["metrics"].items():
            scale = (v.get("details") or {}).get("scale")
            if scale:
                out.setdefault(m, str(scale))
    return {m: out[m] for m in names if m in out}


def _ranks(records: list[dict[str, Any]], metric: str) -> tuple[list[int | None], list[bool]]:
    """Rank = 1 + number of models significantly better; models sharing a rank are tied.

    Calibration generators and records without the metric get no rank.
    """
    ranked = [i for i, r in enumerate(records) if calibration_role(r) is None and defined(r, metric)]
    ranks: list[int | None] = [None] * len(records)
    for i in ranked:
        a = records[i]["metrics"][metric]
        sign = 1.0 if a["higher_is_better"] else -1.0
        better = 0
        for j in ranked:
            if j != i:
                d = difference(records[j]["metrics"][metric], a)
                better += int(d.significant and sign * d.delta > 0)
        ranks[i] = 1 + better
    counts = pd.Series([r for r in ranks if r is not None]).value_counts()
    tied = [r is not None and counts[r] > 1 for r in ranks]
    return ranks, tied


def _positions(records: list[dict[str, Any]], metric: str) -> list[float]:
    """Where each record sits on `metric` between the floor (0) and the ceiling (1) of its own run (of the
    first run holding them where its run has none); NaN without both."""
    own: dict[tuple[str | None, str], float | None] = {}  # (run, role) -> value
    first: dict[str, float | None] = {}  # role -> value of the first run holding it
    for r in records:
        role = calibration_role(r)
        if role in ("floor", "ceiling"):
            value = r["metrics"].get(metric, {}).get("value")
            own.setdefault((r["model"].get("run"), role), value)
            first.setdefault(role, value)
    out = []
    for r in records:
        run = r["model"].get("run")
        lo, hi = (own.get((run, role), first.get(role)) for role in ("floor", "ceiling"))
        v = r["metrics"].get(metric, {}).get("value")
        ok = lo is not None and hi is not None and v is not None and hi != lo
        out.append((v - lo) / (hi - lo) if ok else float("nan"))
    return out


def format_value(value: float) -> str:
    """Three significant figures, at most four decimals; '—' for a missing value; never a negative zero."""
    if value != value:  # NaN
        return "—"
    a = abs(value)
    if a >= 100:
        text = f"{value:.1f}"
    elif a >= 10:
        text = f"{value:.2f}"
    elif a >= 0.1 or a == 0:
        text = f"{value:.3f}"
    else:
        text = f"{value:.4f}"
    return _no_negative_zero(text)


def format_percent(share: float) -> str:
    """A share as a whole percentage ('—' for NaN); a share that rounds to zero is '0%', never '-0%'."""
    if share != share:  # NaN
        return "—"
    return _no_negative_zero(f"{100 * share:.0f}") + "%"


def _no_negative_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def metric_cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of the leaderboard, plain text: rank, model, position, each metric 'v [lo, hi]'."""
    arrows = {True: "↑", False: "↓"}
    metrics = headline_metrics(frame.attrs["metrics"])
    scales = frame.attrs.get("scales", {})
    header = ["rank", "model", f"position ({frame.attrs['rank_by']})"] + [
        f"{m}{f' [{scales[m]}]' if m in scales else ''} {arrows[frame.attrs['higher_is_better'][m]]}" for m in metrics
    ]
    body = []
    for _, row in frame.iterrows():
        model = str(row["model"])
        if row["role"] != "model":
            rank = row["role"]
        else:
            rank = "—" if pd.isna(row["rank"]) else f"{row['rank']}{'=' if row['tied'] else ''}"
        pos = format_percent(row["position"])
        cells = [rank, model, pos]
        for m in metrics:
            v, lo, hi = row[m], row[f"{m}_ci_low"], row[f"{m}_ci_high"]
            spread = row.get(f"{m}_seed_std", float("nan"))
            text = format_value(v) if spread != spread else f"{format_value(v)} ± {format_value(spread)}"
            cells.append(text if lo != lo else f"{text} [{format_value(lo)}, {format_value(hi)}]")
        body.append(cells)
    return header, body


#: characters Markdown reads as markup inside a line; escaped with a backslash
_MARKDOWN_PUNCTUATION = "\\`*_[]~"
_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(text: str) -> str:
    """`text` shown literally in Markdown: markup characters escaped, inline HTML as entities, one line
    (table cells escape `|` themselves).

    Example:
        >>> print(markdown_text("<img src=x> **bold** [a](b)"))
        &lt;img src=x&gt; \\*\\*bold\\*\\* \\[a\\](b)
    """
    out = []
    for ch in " ".join(str(text).split()):
        if ch in _MARKDOWN_ENTITIES:
            out.append(_MARKDOWN_ENTITIES[ch])
        elif ch in _MARKDOWN_PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def to_markdown(frame: pd.DataFrame, title: str | None = None) -> str:
    """The leaderboard as a Markdown document: title, protocol line, table, legend."""
    header, body = metric_cells(frame)
    for row, role, rank in zip(body, frame["role"], frame["rank"], strict=True):
        name = markdown_text(row[1])
        row[1] = f"*{name}*" if role != "model" else f"**{name}**" if rank == 1 else name
    esc = [[c.replace("|", "\\|") for c in row] for row in [header, *body]]
    lines = []
    if title:
        lines += [f"# {markdown_text(title)}", ""]
    lines += [f"Protocol: {frame.attrs['protocol']} (key `{frame.attrs['protocol_key']}`).", ""]
    lines.append("| " + " | ".join(esc[0]) + " |")
    lines.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in esc[1:]]
    n = frame[[c for c in frame.columns if c.endswith("_n")]].max(axis=None)
    task = frame.attrs.get("task", "text-to-image")
    captioning, legend = task == "image-to-text", CALIBRATION_LEGEND[task]
    per_prompt = frame.attrs.get("images_per_prompt", 1)
    evaluated = f"{n} evaluation {'images' if captioning else 'captions'}"
    if per_prompt > 1:
        evaluated = f"{n} images ({n // per_prompt} evaluation captions × {per_prompt} images)"
    lines += [
        "",
        f"Values are point estimates with {frame.attrs['confidence']:.0%} bootstrap confidence intervals over "
        f"{evaluated}; ↑ higher is better, ↓ lower is better. "
        "Models are ranked by "
        f"`{frame.attrs['rank_by']}`: rank = 1 + the number of models significantly better (bootstrap, "
        f"95%); `=` marks a statistical tie. *ceiling*, *reference* and *floor* are {legend}; "
        "position places each row between floor (0%) and ceiling (100%) on the ranking metric.",
        "",
    ]
    if frame["seeds"].notna().any():
        lines[-1:] = [
            "Rows of several training seeds show `mean ± seed standard deviation [interval]`: the mean "
            "over seeds, the spread between seeds (training variance) and the bootstrap interval of the "
            "mean (evaluation sampling); two such rows differ significantly when Welch's t interval over "
            "their per-seed values excludes 0.",
            "",
        ]
    return "\n".join(lines)


def to_csv(frame: pd.DataFrame) -> str:
    """The leaderboard frame as CSV (every metric's value, CI bounds and sample count)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.6g")
    return buf.getvalue()
