"""The skills board: one row per model, one column per skill, and the mean over skills (GenEval's table).

Records of suites whose scene records name a skill per prompt hold, per skill, the whole-prompt judge
with its interval: `attribute_accuracy_<skill>` for text -> image (and a `per_skill` section: the skills
and their counts), `caption_correctness_<skill>` for image -> text (its details name the skill). The
board reads those: a cell is the skill's accuracy with its interval, `mean` is the unweighted mean over
the skills (each skill counts once, however many prompts it has). Rows: the ceiling, the models by
mean (highest first), then the reference and the floor. Records without skills make no board.

Records of robustness runs also hold `robustness_<variant>_<skill>_drop` (`xmbench.runner.robustness`):
each variant gets a second table of the same shape, the drop of each skill's accuracy from the clean
prompts to the rewritten ones (lower is better), for the rows that have it.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from xmbench.errors import InputError
from xmbench.results.boards import Board
from xmbench.results.leaderboard import format_value, markdown_text
from xmbench.results.schema import calibration_role

#: per task, the metric each skill's value is reported under (a cell of the accuracy table)
ACCURACY: dict[str, str] = {
    "text-to-image": "attribute_accuracy_{skill}",
    "image-to-text": "caption_correctness_{skill}",
}
#: the metric of a cell of a variant's robustness table
DROP = "robustness_{variant}_{skill}_drop"
MEAN = "mean"
_ROLE_ORDER = {"ceiling": 0, "model": 1, "reference": 2, "floor": 3}


def _accuracy(record: dict[str, Any]) -> str:
    return ACCURACY[record.get("task", "text-to-image")]


def record_skills(record: dict[str, Any]) -> list[str]:
    """The skills a record holds values of ([] for records without skills): those of its per_skill
    section where it has one (text -> image), else those its per-skill values' details name.

    Example:
        >>> record_skills({"per_skill": {"counting": {}, "position": {}}, "metrics": {}})
        []
        >>> record_skills({"per_skill": {"counting": {}}, "metrics": {"attribute_accuracy_counting": {"value": 0.5}}})
        ['counting']
        >>> value = {"value": 0.5, "details": {"skill": "binding"}}
        >>> record_skills({"task": "image-to-text", "metrics": {"caption_correctness_binding": value}})
        ['binding']
    """
    accuracy, per_skill = _accuracy(record), record.get("per_skill")
    if "per_skill" in record:  # a text -> image record: its section (None: no breakdown)
        return [s for s in per_skill or {} if accuracy.format(skill=s) in record["metrics"]]
    named = (v.get("details", {}).get("skill") for v in record["metrics"].values() if isinstance(v, dict))
    return [s for s in dict.fromkeys(named) if isinstance(s, str) and accuracy.format(skill=s) in record["metrics"]]


def skills_frame(records: list[dict[str, Any]], metric: str | None = None) -> pd.DataFrame:
    """Models × skills: columns `model`, `role`, each skill (alphabetical), `<skill>_ci_low`, `<skill>_ci_high`, `mean`.

    Args:
        records: records of one board (one suite, task and protocol), run-labelled.
        metric: the name of a cell's metric, with `{skill}` (default: the skill's accuracy, `ACCURACY`
            of the record's task). The rows are the records holding per-skill accuracies; a cell a
            record lacks is NaN.

    Raises:
        InputError: no record holds per-skill values.

    Example:
        >>> def rec(name, values):
        ...     metrics = {f"attribute_accuracy_{s}": {"value": v} for s, v in values.items()}
        ...     return {"model": {"name": name}, "per_skill": dict.fromkeys(values, {}), "metrics": metrics}
        >>> a, b = rec("a", {"counting": 0.2, "position": 0.6}), rec("b", {"counting": 0.9, "position": 0.7})
        >>> frame = skills_frame([a, b])
        >>> list(frame["model"]), [round(m, 2) for m in frame["mean"]]
        (['b', 'a'], [0.8, 0.4])
    """
    skills = sorted({s for r in records for s in record_skills(r)})
    if not skills:
        raise _no_skills()
    rows = []
    for r in (r for r in records if record_skills(r)):
        row: dict[str, Any] = {"model": r["model"]["name"], "role": calibration_role(r) or "model"}
        for skill in skills:
            value = r["metrics"].get((metric or _accuracy(r)).format(skill=skill), {})
            for key, column in (("value", skill), ("ci_low", f"{skill}_ci_low"), ("ci_high", f"{skill}_ci_high")):
                row[column] = float("nan") if value.get(key) is None else float(value[key])
        row[MEAN] = float(pd.Series([row[s] for s in skills], dtype=float).mean())
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["_role"] = [_ROLE_ORDER[role] for role in frame["role"]]
    frame = frame.sort_values(["_role", MEAN], ascending=[True, False], kind="stable")
    frame = frame.drop(columns="_role").reset_index(drop=True)
    frame.attrs["skills"] = skills
    return frame


def robustness_variants(records: list[dict[str, Any]]) -> list[str]:
    """The robustness variants some record holds per-skill drops of, in the records' protocol order.

    Example:
        >>> record = {"protocol": {"robustness": {"variants": ["typo", "paraphrase"]}},
        ...           "per_skill": {"counting": {}}, "metrics": {"robustness_typo_counting_drop": {"value": 0.1}}}
        >>> robustness_variants([record])
        ['typo']
    """
    variants: dict[str, None] = {}
    for r in records:
        for variant in r.get("protocol", {}).get("robustness", {}).get("variants", []):
            skills = r.get("per_skill") if isinstance(r.get("per_skill"), dict) else {}
            if any(DROP.format(variant=variant, skill=s) in r["metrics"] for s in skills):
                variants[variant] = None
    return list(variants)


def robustness_frame(records: list[dict[str, Any]], variant: str, order: list[str]) -> pd.DataFrame:
    """Models × skills of the `variant` drops (`skills_frame` of DROP), rows in the order of model
    names `order` (the accuracy table's), rows without any drop left out."""
    frame = skills_frame(records, DROP.replace("{variant}", variant))
    frame = frame[frame[frame.attrs["skills"]].notna().any(axis=1)]
    ranks = {name: k for k, name in enumerate(order)}
    frame = frame.iloc[sorted(range(len(frame)), key=lambda k: ranks.get(frame["model"].iloc[k], len(ranks)))]
    return frame.reset_index(drop=True)


def _no_skills() -> InputError:
    return InputError(
        "no record holds per-skill values (records of a suite whose scene records name a skill per prompt); "
        "drop --skills"
    )


def _tables(boards: list[Board]) -> list[tuple[Board, str, pd.DataFrame]]:
    """(board, table, frame) of every board holding per-skill values: its accuracy table, then one
    robustness table per variant (`robustness_<variant>_drop`); InputError when no board has any."""
    tables = []
    for board in (b for b in boards if any(record_skills(r) for r in b.records)):
        accuracy = skills_frame(board.records)
        tables.append((board, "accuracy", accuracy))
        for variant in robustness_variants(board.records):
            frame = robustness_frame(board.records, variant, list(accuracy["model"]))
            tables.append((board, f"robustness_{variant}_drop", frame))
    if not tables:
        raise _no_skills()
    return tables


def _cell(frame: pd.DataFrame, k: int, skill: str) -> str:
    v, lo, hi = (frame.at[k, c] for c in (skill, f"{skill}_ci_low", f"{skill}_ci_high"))
    if v != v:
        return ""
    return format_value(v) if lo != lo else f"{format_value(v)} [{format_value(lo)}, {format_value(hi)}]"


def skills_cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and body cells (plain text): model, each skill 'v [lo, hi]', mean."""
    skills = frame.attrs["skills"]
    body = [
        [str(frame.at[k, "model"]), *(_cell(frame, k, s) for s in skills), format_value(frame.at[k, MEAN])]
        for k in range(len(frame))
    ]
    return ["model", *skills, MEAN], body


def _caption(board: Board, table: str) -> str:
    confidence = f"{board.frame.attrs['confidence']:.0%} bootstrap intervals over prompts"
    if table == "accuracy" and board.frame.attrs["task"] == "image-to-text":
        return (
            "Whole-caption correctness per skill (share of the skill's images whose caption is readable, right "
            f"and without hallucination) with {confidence.replace('prompts', 'images')}; `mean` is the "
            "unweighted mean over skills. Higher is better."
        )
    if table == "accuracy":
        return (
            "Whole-prompt attribute accuracy per skill (share of the skill's images with every judgement right) "
            f"with {confidence}; `mean` is the unweighted mean over skills. Higher is better."
        )
    variant = table.removeprefix("robustness_").removesuffix("_drop")
    return (
        f"Robustness to `{variant}` rewrites of the prompts: per skill, the accuracy on the clean prompts minus "
        f"the accuracy on the rewritten ones (the same prompts, images judged against the same scenes), with "
        f"paired {confidence}; blank where the variant rewrites none of the skill's prompts. Lower is better."
    )


def skills_markdown(boards: list[Board], title: str | None = None) -> str:
    """The skills table of every board holding per-skill values, each under a `##` heading, and its
    robustness tables under `###` headings.

    Raises:
        InputError: no board holds per-skill values.
    """
    lines = [f"# {markdown_text(title)}", ""] if title else []
    for board, table, frame in _tables(boards):
        header, body = skills_cells(frame)
        names = [["model", *map(markdown_text, header[1:])], *([markdown_text(row[0]), *row[1:]] for row in body)]
        rows = [[c.replace("|", "\\|") for c in row] for row in names]
        if table == "accuracy":
            lines += [f"## {markdown_text(board.heading)}", ""]
        else:
            lines += [f"### {markdown_text(board.heading)}: {table}", ""]
        lines.append("| " + " | ".join(rows[0]) + " |")
        lines.append("|---|" + "---:|" * (len(header) - 1))
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        lines += ["", _caption(board, table), ""]
    return "\n".join(lines)


def skills_csv(boards: list[Board]) -> str:
    """Every skills table as one CSV, each row behind its board's suite, task and protocol_key.

    Raises:
        InputError: no board holds per-skill values.
    """
    frames = []
    for board, table, frame in _tables(boards):
        attrs = board.frame.attrs
        columns = {
            "suite": attrs["suite"],
            "task": attrs["task"],
            "protocol_key": attrs["protocol_key"],
            "table": table,
        }
        frames.append(pd.concat([pd.DataFrame(columns, index=frame.index), frame], axis=1))
    buf = io.StringIO()
    pd.concat(frames, ignore_index=True).to_csv(buf, index=False, float_format="%.6g")
    return buf.getvalue()


__all__ = [
    "ACCURACY",
    "DROP",
    "MEAN",
    "record_skills",
    "robustness_frame",
    "robustness_variants",
    "skills_cells",
    "skills_csv",
    "skills_frame",
    "skills_markdown",
]
