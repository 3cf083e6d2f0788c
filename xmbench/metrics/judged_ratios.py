"""Per-image (right, judged) counts of judged attributes, shared by attribute accuracy and caption
correctness on shapes and shapes-skills.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def judged_ratios(
    judgements: list[dict[str, Any]], attributes: Iterable[str], skills: Iterable[str] = ()
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Key -> (right count, judged count) per image, for ratio estimates and the image-level bootstrap.

    Args:
        judgements: one per image, each with "judgements" {attribute: [bool, ...]}, "correct" and, when
            `skills` is given, "skill".
        attributes: one key each: its right and judged judgements.
        skills: one key each: the image is judged when of that skill, right when also correct.

    Returns:
        Keys in order: each attribute, "caption" (whole-image correctness), each skill; float64 arrays.

    Example:
        >>> j = [{"skill": "binding", "correct": True, "judgements": {"colour": [True, False]}}]
        >>> {k: (r.tolist(), n.tolist()) for k, (r, n) in judged_ratios(j, ["colour"], ["binding"]).items()}
        {'colour': ([1.0], [2.0]), 'caption': ([1.0], [1.0]), 'binding': ([1.0], [1.0])}
    """
    out = {}
    for a in attributes:
        right = np.array([sum(j["judgements"].get(a, [])) for j in judgements], dtype=np.float64)
        judged = np.array([len(j["judgements"].get(a, [])) for j in judgements], dtype=np.float64)
        out[a] = (right, judged)
    ok = np.array([j["correct"] for j in judgements], dtype=np.float64)
    out["caption"] = (ok, np.ones_like(ok))
    for skill in skills:
        mine = np.array([j["skill"] == skill for j in judgements], dtype=np.float64)
        out[skill] = (ok * mine, mine)
    return out
