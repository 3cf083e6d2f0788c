"""Attribute accuracy (GenEval-style): does the image show what its caption says?

The `shapes-v1` extractor predicts each image's canonical scene (count, arrangement axis, per-slot
shape / colour / size in left-to-right or top-to-bottom order, grid position of a single object).
The caption's record (the suite's record, or `parse_caption` of a shapes caption) is put in the same
canonical form and compared:

- count: the number of objects;
- shape, colour, size: one judgement per object the caption names;
- position (one object): the 3x3 grid cell;
- relation (two objects): right axis and right order. When the objects appear in the other order,
  the relation is wrong and their attributes are judged against the swapped slots, so one mistake
  is not counted several times. When the count is wrong, every attribute of the caption is wrong.
Whole-caption accuracy: share of images with every judgement right. Values are fractions in [0,1],
higher is better. Each image gets a JSON-able record {"correct", "judgements", "reason"} (GenEval's
JSONL line). This module also holds the Evaluator's adapter and the registration of
"attribute_accuracy" (reported as attribute_accuracy and attribute_accuracy_<attribute>). With the
`shapes-skills-v1` extractor the adapter judges by `xmbench.metrics.attributes_skills` instead (its own
attributes: texture, depth and size order among them).

Several images per prompt (the Evaluator's "prompts"): every value above stays the share of images
right, over all N·K images, and its interval resamples prompts (their K images together);
`attribute_accuracy_any` adds the share of prompts with at least one image right. Scene records that
name a `"skill"` add `attribute_accuracy_<skill>` (whole caption, the images of that skill's prompts;
`xmbench.metrics.skills`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from xmbench.data.shapes.grammar import parse_caption
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.errors import InputError
from xmbench.extractors.shapes_skills_v1.extractor import ID as SKILLS_ID
from xmbench.extractors.shapes_v1.extractor import ID as SHAPES_ID
from xmbench.extractors.shapes_v1.targets import canonical, decode
from xmbench.metrics import attributes_skills
from xmbench.metrics.adapter import metric_value
from xmbench.metrics.bootstrap import check_bootstrap, resample_counts
from xmbench.metrics.inputs import check_count
from xmbench.metrics.judged_ratios import judged_ratios
from xmbench.metrics.prompts import images_per_prompt, prompt_sums
from xmbench.metrics.registry import EvalMetric, MetricContext, register_metric
from xmbench.metrics.skills import check_skill_names, per_skill, record_skills, skill_masks
from xmbench.metrics.value import MetricValue

#: bump by hand when attribute accuracy's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 2  # 2: the bias-corrected bootstrap of every metric, replicates kept (the CI bounds moved)
HIGHER_IS_BETTER = True
ATTRIBUTES: tuple[str, ...] = ("count", "shape", "colour", "size", "position", "relation")
#: what `attribute_accuracy_any` reports: prompts with at least one of their images right
ANY = "any"
#: skill breakdowns listed in the worst-prompts section, per skill
WORST_PER_SKILL = 5
_SLOT_KEYS = ("shape", "colour", "size")
_SLOT_NAMES = {
    None: ("the object",),
    "horizontal": ("left object", "right object"),
    "vertical": ("top object", "bottom object"),
}


def _slot_matches(expected: list[dict], seen: list[dict]) -> list[dict[str, bool]]:
    return [{k: e[k] == s[k] for k in _SLOT_KEYS} for e, s in zip(expected, seen, strict=False)]


def judge(seen: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """Judge one image. seen, expected: canonical scenes (targets.canonical / targets.decode).

    Returns {"correct": bool, "judgements": {attribute: [bool, ...]}, "reason": str}.

    Example:
        >>> from xmbench.data.shapes.grammar import parse_caption
        >>> from xmbench.extractors.shapes_v1.targets import canonical
        >>> expected = canonical(parse_caption("there is one little red diamond at the lower centre"))
        >>> seen = canonical(parse_caption("there is one little blue diamond at the lower centre"))
        >>> judge(seen, expected)["reason"]
        'the object colour: expected red, saw blue'
    """
    n = expected["count"]
    names = _SLOT_NAMES[expected["axis"]]
    out: dict[str, list[bool]] = {"count": [seen["count"] == n]}
    if seen["count"] != n:
        out.update({k: [False] * n for k in _SLOT_KEYS})
        out["position" if n == 1 else "relation"] = [False]
        return _verdict(out, [f"expected {n} object(s), saw {seen['count']}"])
    reasons = []
    slots, shown = expected["slots"], seen["slots"]
    matches = _slot_matches(slots, shown)
    if n == 1:
        out["position"] = [seen["position"] == expected["position"]]
        if not out["position"][0]:
            reasons.append(f"position: expected {expected['position']}, saw {seen['position']}")
    else:
        swapped = _slot_matches(slots, shown[::-1])
        direct_score = sum(sum(m.values()) for m in matches)
        swapped_score = sum(sum(m.values()) for m in swapped)
        relation_ok = seen["axis"] == expected["axis"] and direct_score >= swapped_score
        out["relation"] = [relation_ok]
        if swapped_score > direct_score:
            matches, shown = swapped, shown[::-1]
        if not relation_ok:
            order = "in the other order" if seen["axis"] == expected["axis"] else f"arranged {seen['axis']}ly"
            reasons.append(f"relation: expected {expected['axis']} arrangement in caption order, objects are {order}")
    for k in _SLOT_KEYS:
        out[k] = [m[k] for m in matches]
    for name, m, e, s in zip(names, matches, slots, shown, strict=False):
        reasons += [f"{name} {k}: expected {e[k]}, saw {s[k]}" for k in _SLOT_KEYS if not m[k]]
    return _verdict(out, reasons)


def _verdict(judgements: dict[str, list[bool]], reasons: list[str]) -> dict[str, Any]:
    correct = all(all(v) for v in judgements.values())
    return {"correct": correct, "judgements": judgements, "reason": "; ".join(reasons) if reasons else "correct"}


def expected_scenes(captions: list[str], records: list[dict[str, Any] | None] | None = None) -> list[dict[str, Any]]:
    """Canonical scenes the captions describe: from the records when given, else parsed from the captions.

    Example:
        >>> expected_scenes(["one small lime diamond placed left of one small orange cross"])[0]["count"]
        2
    """
    if records is not None and len(records) != len(captions):
        raise InputError(f"got {len(captions)} captions but {len(records)} attribute records")
    out = []
    for i, caption in enumerate(captions):
        record = records[i] if records is not None else None
        try:
            out.append(canonical(record if record is not None else parse_caption(caption)))
        except InputError as e:
            raise InputError(f"attribute accuracy of image {i}: {e}; or pass its attribute record") from None
    return out


def judge_batch(
    attributes: torch.Tensor, captions: list[str], records: list[dict[str, Any] | None] | None = None
) -> list[dict[str, Any]]:
    """Per-image judgements of shapes-v1 "attributes" (N,9) against the captions (or their records).

    Example:
        >>> from xmbench.data.shapes.grammar import parse_caption
        >>> from xmbench.extractors.shapes_v1.targets import encode
        >>> captions = ["there is one little red diamond at the lower centre"]
        >>> predictions = encode([parse_caption(c) for c in captions]).clamp_min(0)  # a perfect extractor
        >>> judge_batch(predictions, captions)[0]["correct"]
        True
    """
    expected = expected_scenes(captions, records)
    seen = decode(attributes.cpu())
    if len(seen) != len(expected):
        raise InputError(f"got {len(seen)} images but {len(expected)} captions")
    return [{"caption": c, **judge(s, e)} for c, s, e in zip(captions, seen, expected, strict=False)]


def accuracies(judgements: list[dict[str, Any]]) -> dict[str, float]:
    """Per attribute: share of right judgements (NaN where none apply, e.g. relation when every caption
    names one object); "caption": whole-caption accuracy. InputError for no images.

    Example:
        >>> j = [{"correct": True, "judgements": {"count": [True]}}]
        >>> j.append({"correct": False, "judgements": {"count": [False]}})
        >>> accuracies(j)["caption"], accuracies(j)["count"]
        (0.5, 0.5)
    """
    check_count(len(judgements), 1, "attribute accuracy", "image")
    out = {}
    for a in ATTRIBUTES:
        flat = [v for j in judgements for v in j["judgements"].get(a, [])]
        out[a] = float(np.mean(flat)) if flat else float("nan")
    out["caption"] = float(np.mean([j["correct"] for j in judgements]))
    return out


def _per_image_scores(judgements: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """attribute -> (right count, judged count) per image, for the image-level bootstrap."""
    return judged_ratios(judgements, ATTRIBUTES)


def ratio_replicates(right: np.ndarray, judged: np.ndarray, resamples: int, seed: int) -> np.ndarray | None:
    """(resamples,) bootstrap replicates of sum(right)/sum(judged), images resampled with replacement;
    None without resamples or when nothing was judged (a resample that judged nothing gives NaN).

    Example:
        >>> import numpy as np
        >>> ratio_replicates(np.ones(20), np.ones(20), resamples=3, seed=0).tolist()
        [1.0, 1.0, 1.0]
    """
    check_bootstrap(resamples, 0.5)
    if resamples == 0 or judged.sum() == 0:
        return None
    counts = resample_counts(len(right), resamples, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((counts @ torch.from_numpy(right)) / (counts @ torch.from_numpy(judged))).numpy()


def worst_captions(
    judgements: list[dict[str, Any]], k: int = 10, prompts: list[int] | None = None
) -> list[dict[str, Any]]:
    """The `k` images with the lowest share of right judgements (ties: lowest position first).

    Returns [{"caption", "score" (share right, in [0,1], 4 decimals), "index" (the image's prompt index,
    default its position), "note" (the reason)}, ...].

    Example:
        >>> j = [{"caption": "a", "reason": "correct", "judgements": {"count": [True]}},
        ...      {"caption": "b", "reason": "wrong count", "judgements": {"count": [False]}}]
        >>> [(w["caption"], w["score"], w["index"]) for w in worst_captions(j, k=1, prompts=[7, 9])]
        [('b', 0.0, 9)]
    """
    scored = []
    for i, j in enumerate(judgements):
        flags = [v for values in j["judgements"].values() for v in values]
        scored.append((sum(flags) / max(len(flags), 1), i, j))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [
        {
            "caption": j["caption"],
            "score": round(s, 4),
            "index": i if prompts is None else prompts[i],
            "note": j["reason"],
        }
        for s, i, j in scored[:k]
    ]


def worst_by_skill(judgements: list[dict[str, Any]], skills: list[str | None], prompts: list[int]) -> dict[str, list]:
    """skill -> its WORST_PER_SKILL lowest-scoring images (`worst_captions` of the skill's images).

    Example:
        >>> j = [{"caption": c, "reason": "", "judgements": {"count": [c == "a"]}} for c in "abc"]
        >>> {s: [w["caption"] for w in rows] for s, rows in worst_by_skill(j, ["x", "y", "x"], [0, 1, 2]).items()}
        {'x': ['c', 'a'], 'y': ['b']}
    """
    out = {}
    for skill, mask in skill_masks(skills).items():
        positions = np.flatnonzero(mask)
        out[skill] = worst_captions(
            [judgements[i] for i in positions], WORST_PER_SKILL, [prompts[i] for i in positions]
        )
    return out


class AttributeAccuracy(EvalMetric):
    """Streaming attribute accuracy over batches (the Evaluator's adapter for "attribute_accuracy");
    `judgements` holds the per-image records, `prompts` each image's prompt index. Needs the "attributes"
    of the shapes-v1 extractor, or of shapes-skills-v1 (judged by `attributes_skills`).

    Example:
        >>> from xmbench.extractors.base import ExtractorInfo
        >>> from xmbench.extractors.shapes_v1.targets import encode
        >>> from xmbench.data.shapes.grammar import parse_caption
        >>> info = ExtractorInfo("shapes-v1", "", 32, "none", 64)
        >>> metric = AttributeAccuracy(MetricContext(info, bootstrap=0))
        >>> captions = ["there is one little red diamond at the lower centre"]
        >>> metric.update({"attributes": encode([parse_caption(captions[0])]).clamp_min(0), "captions": captions})
        >>> metric.compute()[0].value
        1.0
    """

    def __init__(self, ctx: MetricContext) -> None:
        if ctx.extractor.id not in (SHAPES_ID, SKILLS_ID):
            raise InputError(
                f"attribute accuracy needs the {SHAPES_ID} extractor (shapes suite) or {SKILLS_ID} (shapes-skills), "
                f"not {ctx.extractor.id}; drop attribute_accuracy or use --extractor {SHAPES_ID}"
            )
        self.ctx = ctx
        self.judgements: list[dict[str, Any]] = []
        self.prompts: list[int] = []
        self.skills: list[str | None] = []
        skills = self._skills_suite = ctx.extractor.id == SKILLS_ID
        self._judge = attributes_skills.judge_batch if skills else judge_batch
        self._accuracies = attributes_skills.accuracies if skills else accuracies
        self._scores = attributes_skills.per_image_scores if skills else _per_image_scores
        self._attributes = attributes_skills.ATTRIBUTES if skills else ATTRIBUTES

    def update(self, outputs: Mapping[str, Any]) -> None:
        records = outputs.get("attribute_records")
        if any(r is not None and is_skills_record(r) != self._skills_suite for r in records or []):
            suite, wanted = ("shapes-skills", SKILLS_ID) if not self._skills_suite else ("shapes", SHAPES_ID)
            raise InputError(
                f"attribute accuracy of {suite} prompts needs the {wanted} extractor; use --extractor {wanted}"
            )
        check_record_skills(records)
        judged = self._judge(outputs["attributes"], list(outputs["captions"]), records)
        skills = record_skills(records, len(judged))
        first = len(self.judgements)
        self.judgements += judged
        self.prompts += [int(p) for p in outputs.get("prompts", range(first, first + len(judged)))]
        self.skills += skills

    def compute(self) -> list[MetricValue]:
        values = self._accuracies(self.judgements)
        scores = {
            k: (prompt_sums(r, self.prompts), prompt_sums(j, self.prompts))
            for k, (r, j) in self._scores(self.judgements).items()
        }
        several = images_per_prompt(self.prompts)[1] > 1
        out = []
        for key in ("caption", *self._attributes):
            name = "attribute_accuracy" if key == "caption" else f"attribute_accuracy_{key}"
            details = {"extractor": self.ctx.extractor.id, "judged": int(scores[key][1].sum()), "scope": _scope(key)}
            if key == "caption":
                details.update(self._sections())
            out.append(self._value(name, values[key], scores[key], details, several))
        if several:
            ok = scores["caption"][0]
            anyone = (ok > 0).astype(np.float64)
            details = {"extractor": self.ctx.extractor.id, "scope": "prompts with at least one image right"}
            out.append(
                self._value(
                    f"attribute_accuracy_{ANY}", float(anyone.mean()), (anyone, np.ones_like(ok)), details, True
                )
            )
        ok = np.array([j["correct"] for j in self.judgements], dtype=np.float64)
        for skill, mask in skill_masks(self.skills).items():
            right = (prompt_sums(ok * mask, self.prompts), prompt_sums(mask.astype(np.float64), self.prompts))
            details = {"extractor": self.ctx.extractor.id, "scope": f"whole caption, skill {skill}", "skill": skill}
            out.append(self._value(f"attribute_accuracy_{skill}", float(ok[mask].mean()), right, details, several))
        return out

    def _sections(self) -> dict[str, Any]:
        """What the headline value carries for the record's own sections: the worst captions, and with
        skills their breakdown (counts) and worst prompts per skill."""
        out: dict[str, Any] = {"worst_captions": worst_captions(self.judgements, prompts=self._prompt_labels())}
        breakdown = per_skill(self.judgements, [{"skill": s} for s in self.skills], self.prompts)
        if breakdown:
            out["per_skill"] = breakdown
            out["worst_by_skill"] = worst_by_skill(self.judgements, self.skills, self.prompts)
        return out

    def _prompt_labels(self) -> list[int] | None:
        """Prompt indices for the worst captions, or None when each image is its own prompt in order."""
        return None if self.prompts == list(range(len(self.prompts))) else self.prompts

    def _value(
        self, name: str, value: float, scores: tuple[np.ndarray, np.ndarray], details: dict[str, Any], several: bool
    ) -> MetricValue:
        right, judged = scores
        if several:
            details = {**details, "prompts": len(right)}
        return metric_value(
            self.ctx,
            name=name,
            value=value,
            n=len(self.judgements),
            higher_is_better=HIGHER_IS_BETTER,
            details=details,
            replicates=ratio_replicates(right, judged, self.ctx.bootstrap, self.ctx.seed),
            scheme="prompts resampled with replacement (their images together)"
            if several
            else "images resampled with replacement",
            bounds=(0.0, 1.0),
        )


def check_record_skills(records: list[dict[str, Any] | None] | None) -> None:
    """A one-line InputError when a record's skill cannot name an `attribute_accuracy_<skill>` value (for
    callers that check a suite's records before any work; `update` checks them too).

    Example:
        >>> check_record_skills([{"skill": "counting"}, None])
        >>> check_record_skills([{"skill": "any"}])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: scene records name the skill 'any', which is also an attribute ...
    """
    skills_suite = any(r is not None and is_skills_record(r) for r in records or [])
    taken = attributes_skills.ATTRIBUTES if skills_suite else ATTRIBUTES
    check_skill_names(record_skills(records, len(records or [])), [*taken, ANY])


def is_skills_record(record: dict[str, Any]) -> bool:
    """Whether a scene record is a `shapes-skills` prompt's (its skill is one of that suite's), judged by
    `attributes_skills`; other records, skill or not, are judged as `shapes` v1 scenes.

    Example:
        >>> is_skills_record({"skill": "binding", "objects": []}), is_skills_record({"skill": "pair"})
        (True, False)
    """
    return record.get("skill") in SKILLS


def _scope(key: str) -> str:
    return "whole caption" if key == "caption" else key


register_metric(
    "attribute_accuracy",
    AttributeAccuracy,
    frozenset({"attributes", "captions"}),
    version=VERSION,
    higher_is_better=HIGHER_IS_BETTER,
)
