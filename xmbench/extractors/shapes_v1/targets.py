"""Canonical targets of the shapes evaluator: a scene record as one class index per head.

Two-object scenes are written in a canonical order so that the relation is judged exactly:
the arrangement axis (horizontal for "left of"/"right of", vertical for "above"/"below") and the
objects as slots, left-to-right (horizontal) or top-to-bottom (vertical). "A left of B" and
"B right of A" have the same canonical form: axis horizontal, slot0 = A, slot1 = B.
"""

from __future__ import annotations

from typing import Any

import torch

from xmbench.data.shapes.vocabulary import COLOURS, POSITIONS, SHAPES, SIZES

AXES: tuple[str, ...] = ("horizontal", "vertical")
#: head name -> class names; the column order of the target / prediction tensors
HEADS: dict[str, tuple[str, ...]] = {
    "count": ("1", "2"),
    "axis": AXES,
    "shape0": SHAPES,
    "colour0": COLOURS,
    "size0": SIZES,
    "position": POSITIONS,
    "shape1": SHAPES,
    "colour1": COLOURS,
    "size1": SIZES,
}
HEAD_NAMES: tuple[str, ...] = tuple(HEADS)
#: target value of heads that do not apply (axis/slot1 of one object, position of two)
IGNORE = -100
#: Inception-Score classes: shape x colour of slot0 (the only object, or the leftmost / topmost one)
IS_CLASSES: tuple[str, ...] = tuple(f"{c} {s}" for s in SHAPES for c in COLOURS)

_SLOT_KEYS = ("shape", "colour", "size")
_FIRST_IN_ORDER = {"left of": True, "above": True, "right of": False, "below": False}


def canonical(record: dict[str, Any]) -> dict[str, Any]:
    """Canonical scene: {"count": 1|2, "axis": None|"horizontal"|"vertical", "position": str|None,
    "slots": [{"shape","colour","size"}, ...]} from a suite record or a parsed caption."""
    objects = [{k: o[k] for k in _SLOT_KEYS} for o in record["objects"]]
    if len(objects) == 1:
        return {"count": 1, "axis": None, "position": record["objects"][0].get("position"), "slots": objects}
    relation = record["relation"]
    axis = "horizontal" if relation in ("left of", "right of") else "vertical"
    slots = objects if _FIRST_IN_ORDER[relation] else objects[::-1]
    return {"count": 2, "axis": axis, "position": None, "slots": slots}


def encode(records: list[dict[str, Any]]) -> torch.Tensor:
    """int64 (N, len(HEADS)) class indices, IGNORE where a head does not apply."""
    out = torch.full((len(records), len(HEADS)), IGNORE, dtype=torch.int64)
    for row, record in enumerate(records):
        c = canonical(record)
        values: dict[str, str | None] = {"count": str(c["count"]), "axis": c["axis"], "position": c["position"]}
        for k, slot in enumerate(c["slots"]):
            values.update({f"{key}{k}": slot[key] for key in _SLOT_KEYS})
        for col, (head, classes) in enumerate(HEADS.items()):
            if values.get(head) is not None:
                out[row, col] = classes.index(values[head])
    return out


def decode(predictions: torch.Tensor) -> list[dict[str, Any]]:
    """Canonical scenes from int64 (N, len(HEADS)) predicted class indices (see `canonical`)."""
    rows = predictions.tolist()
    out = []
    for row in rows:
        v = {head: HEADS[head][i] for head, i in zip(HEAD_NAMES, row, strict=False)}
        count = int(v["count"])
        slots = [{key: v[f"{key}{k}"] for key in _SLOT_KEYS} for k in range(count)]
        out.append(
            {
                "count": count,
                "axis": v["axis"] if count == 2 else None,
                "position": v["position"] if count == 1 else None,
                "slots": slots,
            }
        )
    return out
