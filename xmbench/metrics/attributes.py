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
`shapes-skills-v1` extractor the adapter judges by `xmbench.metrics.attributes_skills` instead, which
adds attribute_accuracy_<skill>.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from xmbench.data.shapes.grammar import parse_caption
from xmbench.errors import InputError
from xmbench.extractors.shapes_skills_v1.extractor import ID as SKILLS_ID
from xmbench.extractors.shapes_v1.extractor import ID as SHAPES_ID
from xmbench.extractors.shapes_v1.targets import canonical, decode
from xmbench.metrics import attributes_skills
from xmbench.metrics.adapter import metric_value
from xmbench.metrics.bootstrap import check_bootstrap, resample_counts
from xmbench.metrics.inputs import check_count
from xmbench.metrics.registry import EvalMetric, MetricContext, register_metric
from xmbench.metrics.value import MetricValue

#: bump by hand when attribute accuracy's outputs change (golden-value tests in tests/metrics/test_metric_golden.py)
VERSION = 2  # 2: the bias-corrected bootstrap of every metric, replicates kept (the CI bounds moved)
HIGHER_IS_BETTER = True
ATTRIBUTES: tuple[str, ...] = ("count", "shape", "colour", "size", "position", "relation")
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
    out = {}
    for a in ATTRIBUTES:
        right = np.array([sum(j["judgements"].get(a, [])) for j in judgements], dtype=np.float64)
        judged = np.array([len(j["judgements"].get(a, [])) for j in judgements], dtype=np.float64)
        out[a] = (right, judged)
    ok = np.array([j["correct"] for j in judgements], dtype=np.float64)
    out["caption"] = (ok, np.ones_like(ok))
    return out


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


def worst_captions(judgements: list[dict[str, Any]], k: int = 10) -> list[dict[str, Any]]:
    """The `k` images with the lowest share of right judgements (ties: lowest index first).

    Returns [{"caption", "score" (share right, in [0,1], 4 decimals), "index", "note" (the reason)}, ...].
    """
    scored = []
    for i, j in enumerate(judgements):
        flags = [v for values in j["judgements"].values() for v in values]
        scored.append((sum(flags) / max(len(flags), 1), i, j))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [{"caption": j["caption"], "score": round(s, 4), "index": i, "note": j["reason"]} for s, i, j in scored[:k]]


class AttributeAccuracy(EvalMetric):
    """Streaming attribute accuracy over batches (the Evaluator's adapter for "attribute_accuracy");
    `judgements` holds the per-image records. Needs the "attributes" of the shapes-v1 extractor, or of
    shapes-skills-v1 (judged by `attributes_skills`, per attribute and per skill).

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
        skills = self._skills = ctx.extractor.id == SKILLS_ID
        self._judge = attributes_skills.judge_batch if skills else judge_batch
        self._accuracies = attributes_skills.accuracies if skills else accuracies
        self._scores = attributes_skills.per_image_scores if skills else _per_image_scores
        self._keys = attributes_skills.KEYS if skills else ("caption", *ATTRIBUTES)

    def update(self, outputs: Mapping[str, Any]) -> None:
        if any(r is not None and ("skill" in r) != self._skills for r in outputs.get("attribute_records") or []):
            suite, wanted = ("shapes-skills", SKILLS_ID) if not self._skills else ("shapes", SHAPES_ID)
            raise InputError(
                f"attribute accuracy of {suite} prompts needs the {wanted} extractor; use --extractor {wanted}"
            )
        self.judgements += self._judge(
            outputs["attributes"], list(outputs["captions"]), outputs.get("attribute_records")
        )

    def compute(self) -> list[MetricValue]:
        values = self._accuracies(self.judgements)
        scores = self._scores(self.judgements)
        out = []
        for key in self._keys:
            right, judged = scores[key]
            name = "attribute_accuracy" if key == "caption" else f"attribute_accuracy_{key}"
            extra = {"worst_captions": worst_captions(self.judgements)} if key == "caption" else {}
            scope = "whole caption" if key == "caption" else key
            details = {"extractor": self.ctx.extractor.id, "judged": int(judged.sum()), "scope": scope, **extra}
            replicates = ratio_replicates(right, judged, self.ctx.bootstrap, self.ctx.seed)
            out.append(
                metric_value(
                    self.ctx,
                    name=name,
                    value=values[key],
                    n=len(self.judgements),
                    higher_is_better=HIGHER_IS_BETTER,
                    details=details,
                    replicates=replicates,
                    scheme="images resampled with replacement",
                    bounds=(0.0, 1.0),
                )
            )
        return out


register_metric(
    "attribute_accuracy",
    AttributeAccuracy,
    frozenset({"attributes", "captions"}),
    version=VERSION,
    higher_is_better=HIGHER_IS_BETTER,
)
