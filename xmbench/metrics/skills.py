"""Per-skill breakdown of judged images: suites whose scene records name a `"skill"` per prompt
(counting, position, colour binding, ...) get their whole-prompt accuracy split by skill.

Records without a skill (the `shapes` v1 records) give no breakdown, so their results are unchanged.
A skill name becomes part of a metric name (`attribute_accuracy_<skill>`): it must be a lower-case
identifier that no attribute or aggregate of the metric already uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from xmbench.errors import InputError
from xmbench.metrics.prompts import prompt_groups

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def record_skills(records: Sequence[dict[str, Any] | None] | None, n: int) -> list[str | None]:
    """The skill of each of `n` images' records (None where a record has none, or without records).

    Example:
        >>> record_skills([{"skill": "counting"}, {"objects": []}], 2)
        ['counting', None]
    """
    if records is None:
        return [None] * n
    return [r.get("skill") if isinstance(r, dict) else None for r in records]


def skill_masks(skills: Sequence[str | None]) -> dict[str, np.ndarray]:
    """skill -> bool (N,) mask of its images, skills in order of first appearance ({} without skills).

    Example:
        >>> {k: v.tolist() for k, v in skill_masks(["a", None, "b", "a"]).items()}
        {'a': [True, False, False, True], 'b': [False, False, True, False]}
    """
    names = list(dict.fromkeys(s for s in skills if s is not None))
    array = np.asarray(skills, dtype=object)
    return {name: array == name for name in names}


def check_skill_names(skills: Sequence[str | None], taken: Sequence[str]) -> None:
    """A one-line InputError for a skill that cannot name a metric: not a lower-case identifier, or one
    of `taken` (the names the metric already reports, e.g. its attributes).

    Example:
        >>> check_skill_names(["counting", None], taken=["count"])
        >>> check_skill_names(["count"], taken=["count"])
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: scene records name the skill 'count', which is also an attribute or aggregate \
of the metric (count); rename the skill in the suite's records
    """
    for skill in dict.fromkeys(s for s in skills if s is not None):
        if not isinstance(skill, str) or not _NAME.fullmatch(skill):
            raise InputError(
                f"scene records name the skill {skill!r}; a skill must be a lower-case identifier "
                "(letters, digits, _): fix the suite's records"
            )
        if skill in taken:
            raise InputError(
                f"scene records name the skill {skill!r}, which is also an attribute or aggregate of the metric "
                f"({', '.join(taken)}); rename the skill in the suite's records"
            )


def per_skill(
    judgements: Sequence[dict[str, Any]],
    records: Sequence[dict[str, Any] | None] | None,
    prompts: Sequence[int] | None = None,
) -> dict[str, dict[str, float | int]]:
    """Whole-prompt accuracy per skill: skill -> {"accuracy" (share of its images with every judgement
    right), "right", "images", "prompts"}; {} when no record names a skill.

    Args:
        judgements: one per image, each with a bool "correct" (`attributes.judge_batch`).
        records: the scene record of each image's prompt (None entries allowed).
        prompts: each image's prompt index (default: one prompt per image).

    Example:
        >>> j = [{"correct": True}, {"correct": False}, {"correct": True}]
        >>> per_skill(j, [{"skill": "position"}, {"skill": "position"}, {"skill": "counting"}], prompts=[0, 0, 1])
        {'position': {'accuracy': 0.5, 'right': 1, 'images': 2, 'prompts': 1}, \
'counting': {'accuracy': 1.0, 'right': 1, 'images': 1, 'prompts': 1}}
    """
    prompts = list(range(len(judgements))) if prompts is None else list(prompts)
    correct = np.array([bool(j["correct"]) for j in judgements])
    firsts = np.array([g[0] for g in prompt_groups(prompts)], dtype=np.int64)
    out: dict[str, dict[str, float | int]] = {}
    for skill, mask in skill_masks(record_skills(records, len(judgements))).items():
        right, images = int(correct[mask].sum()), int(mask.sum())
        out[skill] = {
            "accuracy": right / images,
            "right": right,
            "images": images,
            "prompts": int(mask[firsts].sum()),
        }
    return out


__all__ = ["check_skill_names", "per_skill", "record_skills", "skill_masks"]
