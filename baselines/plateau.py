"""When a training curve has reached its plateau: the rule that stops `xmbench train --until-plateau`.

A curve is the list of rows `curves.json` holds; the rows with an evaluation carry a value `key` and its
confidence interval `key_low` / `key_high` (see `baselines.progress`). The curve has plateaued at its
last evaluation when, over its last quarter (the evaluations at steps ≥ 3/4 of the last evaluated step):

- every evaluation lies inside the interval of the last one (the curve's last quarter is within its own
  interval), and
- the last quarter's mean exceeds the third quarter's mean (steps in [1/2, 3/4) of the last step) by
  less than a quarter of that interval's width: averaging several evaluations, this catches a slow
  rise that single evaluations, each as noisy as the interval, do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: evaluations a curve needs before it can be called flat (fewer: too short to tell noise from a plateau)
MIN_EVALUATIONS = 8
#: evaluations the last quarter must hold
MIN_WINDOW = 3
#: the rule in words, as shipped checkpoints record it
RULE = (
    "first evaluated step where the evaluations of the curve's last quarter all lie in the last one's "
    "interval and their mean exceeds the third quarter's by less than a quarter of the interval's width "
    f"(at least {MIN_EVALUATIONS} evaluations, {MIN_WINDOW} in the last quarter)"
)


def evaluations(rows: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The rows of `rows` that carry the evaluation `key` with its interval, in step order."""
    return [r for r in rows if key in r and f"{key}_low" in r and f"{key}_high" in r]


def plateaued(rows: Sequence[dict[str, Any]], key: str) -> bool:
    """Whether the evaluated curve `key` of `rows` has reached its plateau (see the module docstring).

    Args:
        rows: curve rows with "step" and, on evaluated steps, `key`, `key_low`, `key_high`.
        key: the evaluation metric's name in the rows, e.g. "val_attribute_accuracy".

    Returns:
        True when there are at least `MIN_EVALUATIONS` evaluations, at least `MIN_WINDOW` of them in the
        last quarter and one in the third, and both conditions of the module docstring hold.

    Example:
        >>> rising = [{"step": s, "acc": s / 10, "acc_low": s / 10 - 0.05, "acc_high": s / 10 + 0.05}
        ...           for s in range(1, 9)]
        >>> plateaued(rising, "acc")
        False
        >>> flat = rising + [{"step": s, "acc": 0.8, "acc_low": 0.75, "acc_high": 0.85} for s in range(9, 17)]
        >>> plateaued(flat, "acc")
        True
    """
    evaluated = evaluations(rows, key)
    if len(evaluated) < MIN_EVALUATIONS:
        return False
    last = evaluated[-1]
    low, high = last[f"{key}_low"], last[f"{key}_high"]
    window = [r[key] for r in evaluated if r["step"] >= 0.75 * last["step"]]
    before = [r[key] for r in evaluated if 0.5 * last["step"] <= r["step"] < 0.75 * last["step"]]
    if len(window) < MIN_WINDOW or not before:
        return False
    inside = all(low <= v <= high for v in window)
    return inside and sum(window) / len(window) - sum(before) / len(before) < (high - low) / 4


def plateau_step(rows: Sequence[dict[str, Any]], key: str) -> int | None:
    """The first evaluated step at which the curve up to it had plateaued; None if it never did.

    Example:
        >>> rows = [{"step": s, "acc": min(s, 6) / 10, "acc_low": min(s, 6) / 10 - 0.05,
        ...          "acc_high": min(s, 6) / 10 + 0.05} for s in range(1, 13)]
        >>> plateau_step(rows, "acc")
        11
    """
    evaluated = evaluations(rows, key)
    for i in range(len(evaluated)):
        if plateaued(evaluated[: i + 1], key):
            return int(evaluated[i]["step"])
    return None
