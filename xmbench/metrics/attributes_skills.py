"""Attribute accuracy on shapes-skills: does the image show what its prompt's scene record says, by skill?

The `shapes-skills-v1` extractor reports what it sees (`targets.decode`): the object in each cell of the
2x2 grid (shape, colour, size, texture, radius), a lone object (shape, colour, size, 3x3 grid position),
the object at each occlusion anchor (shape, colour, in front or behind), and whether two objects
overlap. The prompt's record is judged by its skill:

- counting: count (per group, the cells holding its shape number its count; all cells hold the
  total); shape, colour, size per object;
- binding: count; shape, colour, texture per object;
- relation: count; shape, colour, size per object; spatial_relation (the two share a row for left of /
  right of, a column for above / below, in the prompt's order);
- comparative: count; shape, colour per object; size_order (the one said to be larger has the larger
  radius);
- occlusion: count; shape, colour per object; depth_order (the objects overlap, the prompt's front
  object is read in front and the other behind);
- position: shape, colour, size and grid_position of the lone object.

Objects are matched to the objects seen (cells, or anchors) by `object_matching.best_assignment` (most
agreeing attributes; the relation's truth breaks ties), so one mistake counts once; an object matched
to nothing is wrong in every attribute. A relation holds only between objects that each share an
attribute with the named ones. Whole-prompt accuracy: every judgement right. Values are fractions in
[0,1], higher is better; per skill, the whole-prompt accuracy of that skill's prompts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from xmbench.data.shapes_skills.grammar import parse_caption
from xmbench.data.shapes_skills.scenes import axis, canonical_pair
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.errors import InputError
from xmbench.extractors.shapes_skills_v1.targets import decode
from xmbench.metrics.inputs import check_count
from xmbench.metrics.judged_ratios import judged_ratios
from xmbench.metrics.object_matching import Assignment, best_assignment, identified

ATTRIBUTES: tuple[str, ...] = (
    "count",
    "shape",
    "colour",
    "size",
    "texture",
    "grid_position",
    "spatial_relation",
    "depth_order",
    "size_order",
)
#: the keys of a judgement summary: whole prompt, attributes, then the whole-prompt accuracy of each skill
KEYS: tuple[str, ...] = ("caption", *ATTRIBUTES, *SKILLS)
_OBJECT_KEYS = ("shape", "colour", "size", "texture")


def _describe(obj: dict[str, Any]) -> str:
    return " ".join(obj[k] for k in ("size", "texture", "colour", "shape") if k in obj)


def _judge_objects(
    expected: list[dict[str, Any]], seen: list[dict[str, Any]], assign: Assignment, out: dict, reasons: list
) -> None:
    for e, c in zip(expected, assign, strict=True):
        for k in (k for k in _OBJECT_KEYS if k in e):
            said = seen[c][k] if c is not None else None
            out.setdefault(k, []).append(said == e[k])
            if c is None and k == "shape":
                reasons.append(f"the {_describe(e)} is missing")
            elif c is not None and said != e[k]:
                reasons.append(f"{_describe(e)} {k}: saw {said}")


def _arranged(record: dict[str, Any], cells: list[int]) -> bool:
    """Whether the cells of the canonical pair (left / top first) lie along the relation's axis in order."""
    first, second = cells
    if axis(record["relation"]) == "horizontal":
        return first // 2 == second // 2 and first % 2 < second % 2
    return first % 2 == second % 2 and first // 2 < second // 2


def _cell_judgements(seen: dict[str, Any], record: dict[str, Any]) -> tuple[dict[str, list[bool]], list[str]]:
    skill = record["skill"]
    found = [(k, o) for k, o in enumerate(seen["cells"]) if o is not None]
    cells, objects = [k for k, _ in found], [o for _, o in found]
    pair = skill in ("relation", "comparative")
    expected = (
        list(canonical_pair(record)) if pair else [o for o in record["objects"] for _ in range(o.get("count", 1))]
    )
    out: dict[str, list[bool]] = {"count": [len(objects) == len(expected)]}
    reasons = [] if out["count"][0] else [f"expected {len(expected)} object(s), saw {len(objects)}"]
    if skill == "counting":
        for group in record["objects"]:
            n = sum(o["shape"] == group["shape"] for o in objects)
            out["count"].append(n == group["count"])
            if n != group["count"]:
                reasons.append(f"expected {group['count']} {group['shape']}(s), saw {n}")

    def order_holds(a: Assignment) -> bool:
        if not identified(expected, objects, a, _OBJECT_KEYS):
            return False
        if skill == "relation":
            return _arranged(record, [cells[c] for c in a])
        return objects[a[0]]["radius"] > objects[a[1]]["radius"]

    assign = best_assignment(expected, objects, _OBJECT_KEYS, order_holds if pair else None)
    _judge_objects(expected, objects, assign, out, reasons)
    if pair:
        key = "spatial_relation" if skill == "relation" else "size_order"
        out[key] = [order_holds(assign)]
        if not out[key][0]:
            reasons.append(f"{key.replace('_', ' ')}: not {record['relation']} as the prompt says")
    return out, reasons


def _occlusion_judgements(seen: dict[str, Any], record: dict[str, Any]) -> tuple[dict[str, list[bool]], list[str]]:
    expected, objects = list(canonical_pair(record)), [o for o in seen["anchors"] if o is not None]
    out: dict[str, list[bool]] = {"count": [len(objects) == 2]}
    reasons = [] if out["count"][0] else [f"expected 2 objects, saw {len(objects)}"]

    def in_front(a: Assignment) -> bool:
        shown = seen["overlap"] and identified(expected, objects, a, ("shape", "colour"))
        return shown and objects[a[0]]["front"] and not objects[a[1]]["front"]

    assign = best_assignment(expected, objects, ("shape", "colour"), in_front)
    _judge_objects(expected, objects, assign, out, reasons)
    out["depth_order"] = [in_front(assign)]
    if not out["depth_order"][0]:
        reasons.append("depth order: " + ("no overlap" if not seen["overlap"] else "not as the prompt says"))
    return out, reasons


def _position_judgements(seen: dict[str, Any], record: dict[str, Any]) -> tuple[dict[str, list[bool]], list[str]]:
    obj, lone = record["objects"][0], seen["single"]
    out = {k: [lone[k] == obj[k]] for k in ("shape", "colour", "size")}
    out["grid_position"] = [lone["position"] == obj["position"]]
    keys = {"shape": "shape", "colour": "colour", "size": "size", "grid_position": "position"}
    reasons = [f"{k}: expected {obj[keys[k]]}, saw {lone[keys[k]]}" for k, v in out.items() if not v[0]]
    return out, reasons


def judge(seen: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Judge one image. seen: from `targets.decode`; record: the prompt's scene record.

    Returns:
        {"skill", "correct", "judgements": {attribute: [bool, ...]}, "reason"}.

    Example:
        >>> from xmbench.extractors.shapes_skills_v1.targets import CELLS, HEADS, decode
        >>> seen = decode(torch.zeros(1, len(HEADS) + CELLS, dtype=torch.int64))[0]  # a small red circle, top left
        >>> record = {"skill": "position", "relation": None,
        ...           "objects": [{"shape": "circle", "colour": "red", "size": "large", "position": "top left"}]}
        >>> judge(seen, record)["reason"]
        'size: expected large, saw small'
    """
    skill = record["skill"]
    if skill == "position":
        out, reasons = _position_judgements(seen, record)
    elif skill == "occlusion":
        out, reasons = _occlusion_judgements(seen, record)
    else:
        out, reasons = _cell_judgements(seen, record)
    correct = all(all(v) for v in out.values())
    return {"skill": skill, "correct": correct, "judgements": out, "reason": "; ".join(reasons) or "correct"}


def judge_batch(
    attributes: torch.Tensor, captions: list[str], records: list[dict[str, Any] | None] | None = None
) -> list[dict[str, Any]]:
    """Per-image judgements of shapes-skills-v1 "attributes" against the records (parsed from the captions
    where a record is missing).

    Example:
        >>> from xmbench.data.shapes_skills import ShapesSkillsSuite
        >>> from xmbench.extractors.shapes_skills_v1.targets import perfect_attributes
        >>> sample = ShapesSkillsSuite().get("test", 3)
        >>> judge_batch(perfect_attributes([sample.attributes]), [sample.caption])[0]["correct"]
        True
    """
    if records is not None and len(records) != len(captions):
        raise InputError(f"got {len(captions)} captions but {len(records)} attribute records")
    seen = decode(attributes.cpu())
    if len(seen) != len(captions):
        raise InputError(f"got {len(seen)} images but {len(captions)} captions")
    out = []
    for i, caption in enumerate(captions):
        record = records[i] if records is not None else None
        try:
            expected = record if record is not None else parse_caption(caption)
        except InputError as e:
            raise InputError(f"attribute accuracy of image {i}: {e}; or pass its attribute record") from None
        out.append({"caption": caption, **judge(seen[i], expected)})
    return out


def per_image_scores(judgements: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """KEYS -> (right count, judged count) per image, for ratios and the image-level bootstrap.

    Example:
        >>> j = {"skill": "binding", "correct": False, "judgements": {"texture": [True, False]}}
        >>> scores = per_image_scores([j])
        >>> scores["texture"][0].tolist(), scores["texture"][1].tolist(), scores["binding"][1].tolist()
        ([1.0], [2.0], [1.0])
    """
    return judged_ratios(judgements, ATTRIBUTES, SKILLS)


def accuracies(judgements: list[dict[str, Any]]) -> dict[str, float]:
    """KEYS -> share of right judgements (NaN where none apply); "caption" and each skill: whole prompts.

    Example:
        >>> j = [{"skill": "binding", "correct": True, "judgements": {"texture": [True, True]}},
        ...      {"skill": "counting", "correct": False, "judgements": {"count": [False, True]}}]
        >>> a = accuracies(j)
        >>> a["caption"], a["texture"], a["count"], a["binding"], a["counting"]
        (0.5, 1.0, 0.5, 1.0, 0.0)
    """
    check_count(len(judgements), 1, "attribute accuracy", "image")
    return {
        k: float(right.sum() / judged.sum()) if judged.sum() > 0 else float("nan")
        for k, (right, judged) in per_image_scores(judgements).items()
    }
