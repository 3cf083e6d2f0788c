"""What the caption correctness judges (`correctness` on shapes, `correctness_skills` on shapes-skills)
share: a judged caption's verdict, its per-image ratios and the table of metrics they give.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from xmbench.metrics.judged_ratios import judged_ratios


def verdict(
    caption: str,
    judgements: dict[str, list[bool]],
    hallucinated: int,
    claims: int,
    reasons: list[str],
    about: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-able verdict on a readable caption: right when every judgement is and nothing is hallucinated.

    Args:
        caption: the judged caption.
        judgements: attribute -> one bool per judgement.
        hallucinated: claims the image does not hold.
        claims: everything the caption claims.
        reasons: what was wrong, in words.
        about: keys to place after "caption" (e.g. {"skill": ...}).

    Returns:
        {"caption", **about, "readable", "correct", "judgements", "hallucinated", "claims", "reason"}.

    Example:
        >>> verdict("a red circle", {"colour": [True]}, 0, 3, [])["correct"]
        True
        >>> verdict("a red circle", {"colour": [False]}, 0, 3, ["colour"], {"skill": "position"})["reason"]
        'colour'
    """
    return {
        "caption": caption,
        **(about or {}),
        "readable": True,
        "correct": all(all(v) for v in judgements.values()) and hallucinated == 0,
        "judgements": judgements,
        "hallucinated": hallucinated,
        "claims": claims,
        "reason": "; ".join(reasons) or "correct",
    }


def unreadable_verdict(
    caption: str, judgements: dict[str, list[bool]], error: str | None, about: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON-able verdict on a caption the reader could not read: wrong on every judgement, claiming nothing.

    Args:
        caption: the judged caption.
        judgements: attribute -> all False, one per judgement the caption would have had.
        error: why the reader could not read it.
        about: keys to place after "caption" (e.g. {"skill": ...}).

    Example:
        >>> unreadable_verdict("", {"count": [False]}, "names no object")["reason"]
        'unreadable: names no object'
    """
    return {
        "caption": caption,
        **(about or {}),
        "readable": False,
        "correct": False,
        "judgements": judgements,
        "hallucinated": 0,
        "claims": 0,
        "reason": f"unreadable: {error}",
    }


def ratios_per_image(
    judgements: list[dict[str, Any]], attributes: Iterable[str], skills: Iterable[str] = ()
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Metric key -> (numerator, denominator) per image, for ratio estimates and the image bootstrap.

    Args:
        judgements: verdicts (with "skill" when `skills` is given).
        attributes: the judged attributes, one key each.
        skills: skills with a whole-caption key each (judgements of that skill only).

    Returns:
        Keys: each attribute, "caption", each skill, "readable", "hallucination".

    Example:
        >>> j = verdict("a red circle", {"colour": [True, False]}, 1, 4, [])
        >>> {k: (n.tolist(), d.tolist()) for k, (n, d) in ratios_per_image([j], ["colour"]).items()}
        {'colour': ([1.0], [2.0]), 'caption': ([0.0], [1.0]), 'readable': ([1.0], [1.0]),
         'hallucination': ([1.0], [4.0])}
    """
    out = judged_ratios(judgements, attributes, skills)
    ones = np.ones(len(judgements), dtype=np.float64)
    out["readable"] = (np.array([j["readable"] for j in judgements], dtype=np.float64), ones)
    out["hallucination"] = (
        np.array([j["hallucinated"] for j in judgements], dtype=np.float64),
        np.array([j["claims"] for j in judgements], dtype=np.float64),
    )
    return out


def metric_table(attributes: Iterable[str], skills: Iterable[str] = ()) -> tuple[tuple[str, str, bool, str], ...]:
    """(metric name, per-image key, higher is better, scope) of each correctness metric.

    Example:
        >>> [m[0] for m in metric_table(["colour"], ["counting"])]
        ['caption_correctness', 'caption_correctness_colour', 'caption_correctness_counting',
         'caption_hallucination', 'caption_parse_rate']
    """
    return (
        ("caption_correctness", "caption", True, "whole caption readable, right and without hallucination"),
        *((f"caption_correctness_{a}", a, True, a) for a in attributes),
        *((f"caption_correctness_{s}", s, True, f"whole caption, {s} scenes") for s in skills),
        ("caption_hallucination", "hallucination", False, "claims the image does not hold"),
        ("caption_parse_rate", "readable", True, "captions the reader could read"),
    )
