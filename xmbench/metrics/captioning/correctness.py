"""Exact correctness of captions on `shapes`: read each caption and judge it against the image's scene.

The mirror of `attribute_accuracy` (which judges generated images against their captions): here the
image's scene record is the truth and the caption is judged. Each caption is read by
`xmbench.data.shapes.reading.read_caption` (any grammar caption and word-order variants); the
caption's objects are matched to the scene's objects (the matching that gets most attributes right,
the caption's own order on ties), then:

- count: the caption names as many objects as the scene holds;
- shape, colour, size: one judgement per object of the scene, right when the matched caption object
  states that value (an attribute not stated, or an object not described, is wrong);
- position (one-object scenes): the stated grid position is the object's;
- relation (two-object scenes): the caption's relation holds between the objects it matched;
- hallucination: among everything the caption claims (each object, each stated shape / colour /
  size / position, the relation), the share the image does not hold: an object beyond the scene's,
  a value no object of the scene has, a wrong position or relation. A colour given to the wrong one
  of two objects is an accuracy error, not a hallucination. Positions in two-object scenes are not
  judged (the record holds no grid cell for them).
- parse rate: the share of captions that could be read. An unreadable caption (empty, "a photo of
  a cat") is wrong on every judgement and claims nothing.
Whole-caption correctness: readable, every judgement right, nothing hallucinated. All values are
fractions in [0, 1]; confidence intervals resample images. Records of `shapes-skills` (they name a
"skill") are judged by `correctness_skills` instead, which reports its own attributes and skills.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from xmbench.data.shapes.reading import INVERSE_RELATION, Reading, read_caption
from xmbench.errors import InputError
from xmbench.metrics.attributes import ratio_replicates
from xmbench.metrics.bootstrap import bootstrap_value
from xmbench.metrics.captioning import correctness_skills as _skills
from xmbench.metrics.captioning.verdicts import metric_table, ratios_per_image, unreadable_verdict, verdict
from xmbench.metrics.defaults import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from xmbench.metrics.inputs import check_count
from xmbench.metrics.value import MetricValue

ATTRIBUTES: tuple[str, ...] = ("count", "shape", "colour", "size", "position", "relation")
_SLOT_KEYS = ("shape", "colour", "size")
#: bump when judgements change; records carry it
VERSION = 1


def _describe(obj: dict[str, Any]) -> str:
    return f"the {obj['size']} {obj['colour']} {obj['shape']}"


def _relation_ok(reading: Reading, truth: dict[str, Any], assign: tuple[int | None, ...]) -> bool:
    """Whether the caption's relation (objects[0] REL objects[1]) holds for the matched scene objects."""
    if reading.relation is None or len(assign) != 2:
        return False
    if assign == (0, 1):
        return reading.relation == truth["relation"]
    if assign == (1, 0):
        return INVERSE_RELATION[reading.relation] == truth["relation"]
    return False


def _matches(truth: list[dict[str, Any]], claimed: list[dict[str, str]], assign: tuple[int | None, ...]) -> int:
    return sum(
        claimed[c].get(k) == t[k] for t, c in zip(truth, assign, strict=True) if c is not None for k in _SLOT_KEYS
    )


def _assignment(reading: Reading, truth: dict[str, Any]) -> tuple[int | None, ...]:
    """Caption object matched to each scene object (None: not described): most right, caption order on ties."""
    objects, claimed = truth["objects"], reading.objects
    slots = list(range(len(claimed))) + [None] * len(objects)
    matched = min(len(objects), len(claimed))
    candidates = {a for a in itertools.permutations(slots, len(objects)) if sum(c is not None for c in a) == matched}

    def score(a: tuple[int | None, ...]) -> tuple[int, int, list[int]]:
        ok = _relation_ok(reading, truth, a)
        return _matches(objects, claimed, a) + ok, ok, [-(c if c is not None else len(slots)) for c in a]

    return max(candidates, key=score)


def _judge_objects(
    objects: list[dict[str, Any]], claimed: list[dict[str, str]], assign: tuple[int | None, ...]
) -> tuple[dict[str, list[bool]], list[str]]:
    out: dict[str, list[bool]] = {k: [] for k in _SLOT_KEYS}
    reasons = []
    for t, c in zip(objects, assign, strict=True):
        if c is None:
            out["shape"].append(False)
            out["colour"].append(False)
            out["size"].append(False)
            reasons.append(f"{_describe(t)} is not described")
            continue
        for k in _SLOT_KEYS:
            said = claimed[c].get(k)
            out[k].append(said == t[k])
            if said != t[k]:
                reasons.append(f"{k} of {_describe(t)}: caption says {said or 'nothing'}")
    return out, reasons


def _hallucinations(reading: Reading, truth: dict[str, Any], assign: tuple[int | None, ...]) -> tuple[int, int]:
    """(claims the image does not hold, claims judged)."""
    objects = truth["objects"]
    held = {k: {o[k] for o in objects} for k in _SLOT_KEYS}
    matched = {c: t for t, c in enumerate(assign) if c is not None}
    wrong = judged = 0
    for c, claims in enumerate(reading.objects):
        judged += 1 + sum(k in claims for k in _SLOT_KEYS)
        if c not in matched:
            wrong += 1 + sum(k in claims for k in _SLOT_KEYS)
            continue
        wrong += sum(claims[k] not in held[k] for k in _SLOT_KEYS if k in claims)
        if "position" in claims and len(objects) == 1:
            judged += 1
            wrong += claims["position"] != objects[0]["position"]
    if reading.relation is not None:
        judged += 1
        wrong += not _relation_ok(reading, truth, assign)
    return wrong, judged


def _unreadable(caption: str, truth: dict[str, Any], reading: Reading) -> dict[str, Any]:
    n = len(truth["objects"])
    judgements = {"count": [False], **{k: [False] * n for k in _SLOT_KEYS}}
    judgements["position" if n == 1 else "relation"] = [False]
    return unreadable_verdict(caption, judgements, reading.error)


def judge_caption(caption: str, record: dict[str, Any]) -> dict[str, Any]:
    """Judge one caption against the scene record of its image.

    Args:
        caption: the generated caption.
        record: the scene {"objects": [{"shape", "colour", "size", "position"?}], "relation"} (the
            shapes suite's attributes or `ShapesSuite.records`).

    Returns:
        {"caption", "readable", "correct", "judgements": {attribute: [bool, ...]}, "hallucinated",
        "claims", "reason"}; JSON-able.

    Example:
        >>> scene = {"objects": [{"shape": "circle", "colour": "red", "size": "large", "position": "top"}],
        ...          "relation": None}
        >>> j = judge_caption("a big blue circle at the top", scene)
        >>> j["correct"], j["judgements"]["colour"], j["hallucinated"], j["claims"]
        (False, [False], 1, 5)
        >>> j["reason"]
        'colour of the large red circle: caption says blue'
    """
    reading = read_caption(caption)
    n = len(record["objects"])
    if not reading.readable:
        return _unreadable(caption, record, reading)
    assign = _assignment(reading, record)
    judgements = {"count": [len(reading.objects) == n]}
    reasons = [] if judgements["count"][0] else [f"names {len(reading.objects)} object(s), the image holds {n}"]
    slots, slot_reasons = _judge_objects(record["objects"], reading.objects, assign)
    judgements.update(slots)
    reasons += slot_reasons
    if n == 1:
        c = assign[0]
        said = reading.objects[c].get("position") if c is not None else None
        judgements["position"] = [said == record["objects"][0]["position"]]
        if not judgements["position"][0]:
            reasons.append(f"position: image {record['objects'][0]['position']}, caption says {said or 'nothing'}")
    else:
        judgements["relation"] = [_relation_ok(reading, record, assign)]
        if not judgements["relation"][0]:
            reasons.append(
                f"relation: {_describe(record['objects'][0])} is {record['relation']} "
                f"{_describe(record['objects'][1])}, caption says {reading.relation or 'nothing'}"
            )
    wrong, claims = _hallucinations(reading, record, assign)
    return verdict(caption, judgements, wrong, claims, reasons)


def judge_captions(captions: list[str], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`judge_caption` for each (caption, record) pair, or `correctness_skills.judge_caption` for the records
    of shapes-skills (they name a "skill"); InputError when the counts differ.

    Example:
        >>> scene = {"skill": "binding", "relation": None, "objects": [
        ...     {"shape": "circle", "colour": "red", "texture": "striped"},
        ...     {"shape": "square", "colour": "blue", "texture": "dotted"}]}
        >>> j = judge_captions(["a dotted red circle and a striped blue square"], [scene])[0]
        >>> j["judgements"]["texture"], j["judgements"]["colour"]
        ([False, False], [True, True])
    """
    if len(captions) != len(records):
        raise InputError(f"got {len(captions)} captions but {len(records)} scene records; pass one record per caption")
    return [
        (_skills.judge_caption if "skill" in r else judge_caption)(c, r) for c, r in zip(captions, records, strict=True)
    ]


def _skills_judged(judgements: list[dict[str, Any]]) -> bool:
    return "skill" in judgements[0]


def _per_image(judgements: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """metric key -> (numerator, denominator) per image, for ratio estimates and the image bootstrap."""
    return ratios_per_image(judgements, ATTRIBUTES)


#: metric name, per-image key, higher is better, scope
METRICS: tuple[tuple[str, str, bool, str], ...] = metric_table(ATTRIBUTES)


def correctness_scores(judgements: list[dict[str, Any]]) -> dict[str, float]:
    """Metric name -> value (a fraction; NaN where nothing was judged) over the judged captions.

    Example:
        >>> scene = {"objects": [{"shape": "square", "colour": "blue", "size": "small", "position": "left"}],
        ...          "relation": None}
        >>> s = correctness_scores(judge_captions(["a small blue square on the left", ""], [scene, scene]))
        >>> s["caption_correctness"], s["caption_parse_rate"], s["caption_hallucination"]
        (0.5, 0.5, 0.0)
    """
    check_count(len(judgements), 1, "caption correctness", "caption")
    skills = _skills_judged(judgements)
    per_image = (_skills.per_image if skills else _per_image)(judgements)
    out = {}
    for name, key, _, _ in _skills.METRICS if skills else METRICS:
        num, den = per_image[key]
        out[name] = float(num.sum() / den.sum()) if den.sum() > 0 else float("nan")
    return out


def correctness_values(
    judgements: list[dict[str, Any]],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> list[MetricValue]:
    """Every correctness metric as a MetricValue with a bootstrap CI over images (`bootstrap_value`).

    Args:
        judgements: from `judge_captions`.
        resamples: bootstrap resamples (0: no CI).
        confidence: two-sided CI level in (0, 1).
        seed: bootstrap seed.
    """
    scores = correctness_scores(judgements)
    skills = _skills_judged(judgements)
    per_image = (_skills.per_image if skills else _per_image)(judgements)
    judge = f"shapes-skills caption reader v{_skills.VERSION}" if skills else f"shapes caption reader v{VERSION}"
    out = []
    for name, key, higher, scope in _skills.METRICS if skills else METRICS:
        num, den = per_image[key]
        details = {"judge": judge, "judged": int(den.sum()), "scope": scope}
        if skills and key in _skills.SKILLS:
            details["skill"] = key
        replicates = ratio_replicates(num, den, resamples, seed)
        out.append(
            bootstrap_value(
                name,
                scores[name],
                len(judgements),
                higher,
                details,
                replicates,
                confidence,
                scheme="images resampled with replacement",
                bounds=(0.0, 1.0),
            )
        )
    return out
