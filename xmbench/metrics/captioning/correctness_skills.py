"""Exact correctness of captions on `shapes-skills`: read each caption, judge it against the scene record.

The mirror of attribute accuracy on shapes-skills (`xmbench.metrics.attributes_skills`), with the same
attribute names. A caption is read by `xmbench.data.shapes_skills.reading.read_caption` (grammar
captions and word-order variants); its objects, each with a count, are matched to the record's objects
(groups, in counting scenes) by `object_matching.best_assignment` (most agreeing attributes; the
relation's truth breaks ties). A record object of count n matched to a caption object of count m has
min(n, m) of its copies described. Then, by skill:

- count: the caption's objects add up to the scene's (counting: also, per group, the caption's objects
  of the group's shape number its count);
- shape, colour, and size (counting, position, relation) or texture (binding): one judgement per
  object of the scene, right when its matched caption object states that value;
- grid_position (position): the stated grid position is the object's;
- spatial_relation, depth_order, size_order (relation, occlusion, comparative): the caption states a
  relation of that kind and it holds between the objects it matched, each sharing an attribute with its
  caption object;
- hallucination: among everything the caption claims (each object, each stated shape, colour, size,
  texture and position, a relation of the scene's kind), the share the image does not hold: an object
  beyond the scene's, a value no object of the scene has (objects outside binding are solid), a wrong
  position or relation. Sizes of occlusion, comparative and binding scenes, positions of several
  objects and relations of another kind are not judged.
- parse rate: the share of captions that could be read; an unreadable caption is wrong on every
  judgement and claims nothing.
Whole-caption correctness: readable, every judgement right, nothing hallucinated; also per skill.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xmbench.data.shapes_skills.reading import Reading, read_caption
from xmbench.data.shapes_skills.vocabulary import CONVERSE, SKILLS
from xmbench.metrics.attributes_skills import ATTRIBUTES
from xmbench.metrics.captioning.verdicts import metric_table, ratios_per_image, unreadable_verdict, verdict
from xmbench.metrics.object_matching import Assignment, best_assignment, identified

#: bump when judgements change; records carry it
VERSION = 1
#: the judgement of each skill's relation
RELATION_ATTRIBUTE = {"relation": "spatial_relation", "occlusion": "depth_order", "comparative": "size_order"}
#: the object attributes judged per skill
OBJECT_KEYS: dict[str, tuple[str, ...]] = {
    "counting": ("shape", "colour", "size"),
    "binding": ("shape", "colour", "texture"),
    "occlusion": ("shape", "colour"),
    "comparative": ("shape", "colour"),
    "position": ("shape", "colour", "size"),
    "relation": ("shape", "colour", "size"),
}


def _describe(obj: dict[str, Any]) -> str:
    return " ".join(obj[k] for k in ("size", "texture", "colour", "shape") if k in obj)


def _relation_holds(reading: Reading, record: dict[str, Any], assign: Assignment) -> bool:
    """Whether the caption's relation (its objects[0] REL objects[1]) holds for the matched record objects,
    each sharing at least one attribute with its caption object."""
    keys = OBJECT_KEYS[record["skill"]]
    if reading.relation is None or reading.kind != record["skill"] or len(assign) != 2:
        return False
    if not identified(record["objects"], reading.objects, assign, keys):
        return False
    if assign == (0, 1):
        return reading.relation == record["relation"]
    return assign == (1, 0) and CONVERSE[reading.relation] == record["relation"]


def _applicable(record: dict[str, Any]) -> dict[str, int]:
    """Attribute -> number of judgements for the record (what an unreadable caption gets wrong)."""
    skill = record["skill"]
    n = sum(o.get("count", 1) for o in record["objects"])
    out = {"count": 1 + (len(record["objects"]) if skill == "counting" else 0)}
    out.update({k: n for k in OBJECT_KEYS[skill]})
    if skill == "position":
        out["grid_position"] = 1
    if skill in RELATION_ATTRIBUTE:
        out[RELATION_ATTRIBUTE[skill]] = 1
    return out


def _counts(reading: Reading, record: dict[str, Any]) -> tuple[list[bool], list[str]]:
    total = sum(o.get("count", 1) for o in record["objects"])
    said = sum(o["count"] for o in reading.objects)
    out, reasons = [said == total], [] if said == total else [f"names {said} object(s), the image holds {total}"]
    if record["skill"] == "counting":
        for group in record["objects"]:
            n = sum(o["count"] for o in reading.objects if o.get("shape") == group["shape"])
            out.append(n == group["count"])
            if n != group["count"]:
                reasons.append(f"{group['shape']}s: caption says {n}, the image holds {group['count']}")
    return out, reasons


def _objects(reading: Reading, record: dict[str, Any], assign: Assignment) -> tuple[dict[str, list[bool]], list[str]]:
    out: dict[str, list[bool]] = {k: [] for k in OBJECT_KEYS[record["skill"]]}
    reasons = []
    for obj, c in zip(record["objects"], assign, strict=True):
        n = obj.get("count", 1)
        described = min(n, reading.objects[c]["count"]) if c is not None else 0
        if described < n:
            reasons.append(f"{n - described} {_describe(obj)} not described")
        for k in out:
            said = reading.objects[c].get(k) if c is not None else None
            out[k] += [said == obj[k]] * described + [False] * (n - described)
            if described and said != obj[k]:
                reasons.append(f"{k} of the {_describe(obj)}: caption says {said or 'nothing'}")
        if record["skill"] == "position":
            said = reading.objects[c].get("position") if c is not None else None
            out["grid_position"] = [said == obj["position"]]
            if said != obj["position"]:
                reasons.append(f"position: image {obj['position']}, caption says {said or 'nothing'}")
    return out, reasons


def _hallucinations(reading: Reading, record: dict[str, Any], assign: Assignment) -> tuple[int, int]:
    """(claims the image does not hold, claims judged)."""
    skill, objects = record["skill"], record["objects"]
    held = {k: {o[k] for o in objects if k in o} for k in ("shape", "colour", "size")}
    held["texture"] = {o["texture"] for o in objects} if skill == "binding" else {"solid"}
    judged_keys = [k for k in ("shape", "colour", "size", "texture") if held[k]]
    matched = {c: objects[g].get("count", 1) for g, c in enumerate(assign) if c is not None}
    wrong = judged = 0
    for c, claims in enumerate(reading.objects):
        stated = [k for k in judged_keys if k in claims]
        right_copies = min(claims["count"], matched.get(c, 0))
        judged += claims["count"] * (1 + len(stated))
        wrong += (claims["count"] - right_copies) * (1 + len(stated))
        wrong += right_copies * sum(claims[k] not in held[k] for k in stated)
        if "position" in claims and skill == "position":
            judged += 1
            wrong += claims["position"] != objects[0]["position"]
    if reading.relation is not None and reading.kind == skill:
        judged += 1
        wrong += not _relation_holds(reading, record, assign)
    return wrong, judged


def _unreadable(caption: str, record: dict[str, Any], reading: Reading) -> dict[str, Any]:
    judgements = {k: [False] * n for k, n in _applicable(record).items()}
    return unreadable_verdict(caption, judgements, reading.error, {"skill": record["skill"]})


def judge_caption(caption: str, record: dict[str, Any]) -> dict[str, Any]:
    """Judge one caption against the shapes-skills scene record of its image.

    Args:
        caption: the generated caption.
        record: the scene {"skill", "objects", "relation"} (`ShapesSkillsSuite.records` or a sample's
            attributes).

    Returns:
        {"caption", "skill", "readable", "correct", "judgements": {attribute: [bool, ...]}, "hallucinated",
        "claims", "reason"}; JSON-able.

    Example:
        >>> scene = {"skill": "counting", "relation": None,
        ...          "objects": [{"count": 2, "shape": "circle", "colour": "red", "size": "small"}]}
        >>> j = judge_caption("three small red circles", scene)
        >>> j["correct"], j["judgements"]["count"], j["hallucinated"], j["claims"]
        (False, [False, False], 4, 12)
        >>> j["reason"]
        'names 3 object(s), the image holds 2; circles: caption says 3, the image holds 2'
    """
    reading = read_caption(caption)
    if not reading.readable:
        return _unreadable(caption, record, reading)
    keys = OBJECT_KEYS[record["skill"]]
    assign = best_assignment(record["objects"], reading.objects, keys, lambda a: _relation_holds(reading, record, a))
    count, reasons = _counts(reading, record)
    judgements, object_reasons = _objects(reading, record, assign)
    judgements["count"] = count
    reasons += object_reasons
    if record["skill"] in RELATION_ATTRIBUTE:
        holds = _relation_holds(reading, record, assign)
        judgements[RELATION_ATTRIBUTE[record["skill"]]] = [holds]
        if not holds:
            reasons.append(f"relation: the image holds {record['relation']}, caption says {reading.relation or 'none'}")
    wrong, claims = _hallucinations(reading, record, assign)
    return verdict(caption, judgements, wrong, claims, reasons, {"skill": record["skill"]})


def per_image(judgements: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Metric key -> (numerator, denominator) per image, for ratio estimates and the image bootstrap.

    Example:
        >>> j = judge_caption("a red circle", {"skill": "position", "relation": None,
        ...     "objects": [{"shape": "circle", "colour": "red", "size": "small", "position": "top"}]})
        >>> per_image([j])["grid_position"][1].tolist(), per_image([j])["hallucination"][1].tolist()
        ([1.0], [3.0])
    """
    return ratios_per_image(judgements, ATTRIBUTES, SKILLS)


#: metric name, per-image key, higher is better, scope
METRICS: tuple[tuple[str, str, bool, str], ...] = metric_table(ATTRIBUTES, SKILLS)
