"""Targets of the shapes-skills evaluator: what its heads read from an image, and from a caption.

Image heads (HEADS), one class index each:
- per cell of the 2x2 grid (k = 0 top left, 1 top right, 2 bottom left, 3 bottom right): `shape{k}`
  ("none" for an empty cell), `colour{k}`, `size{k}`, `texture{k}`, and the radius in pixels (a
  regression; the last CELLS columns of the extractor's "attributes"); read on counting, binding,
  relation and comparative scenes;
- `single_*`: shape, colour, size of a lone object (position scenes, counting scenes of one object) and
  its 3x3 grid position (position scenes);
- per occlusion anchor (k = 0..3, the centres of the four central squares of an 8 px grid):
  `anchor_shape{k}` ("none" when no object is centred there), `anchor_colour{k}` and `anchor_depth{k}`
  (back or front) (occlusion scenes);
- `overlap`: whether two objects overlap (occlusion) or not (every other scene).
Text heads (TEXT_HEADS) read a caption's canonical scene (`text_scene`): its skill and its objects in an
order that does not depend on the wording (relations turned to left of / above / in front of / larger
than; groups and bound objects sorted).
"""

from __future__ import annotations

from typing import Any

import torch

from xmbench.data.shapes.vocabulary import COLOURS, POSITIONS, SHAPES, SIZES
from xmbench.data.shapes_skills.layout import expanded
from xmbench.data.shapes_skills.scenes import axis, canonical_pair
from xmbench.data.shapes_skills.vocabulary import SKILLS, TEXTURES

CELLS = 4
CELL_HEADS: dict[str, tuple[str, ...]] = {
    "shape": ("none", *SHAPES),
    "colour": COLOURS,
    "size": SIZES,
    "texture": TEXTURES,
}
GLOBAL_HEADS: dict[str, tuple[str, ...]] = {
    "single_shape": SHAPES,
    "single_colour": COLOURS,
    "single_size": SIZES,
    "single_position": POSITIONS,
    "overlap": ("no", "yes"),
}
ANCHORS = 4
ANCHOR_HEADS: dict[str, tuple[str, ...]] = {"shape": ("none", *SHAPES), "colour": COLOURS, "depth": ("back", "front")}
#: image head name -> class names; the column order of the target / prediction tensors
HEADS: dict[str, tuple[str, ...]] = {
    **{f"{attribute}{k}": classes for k in range(CELLS) for attribute, classes in CELL_HEADS.items()},
    **{f"anchor_{attribute}{k}": classes for k in range(ANCHORS) for attribute, classes in ANCHOR_HEADS.items()},
    **GLOBAL_HEADS,
}
HEAD_NAMES: tuple[str, ...] = tuple(HEADS)
#: heads of colours: meaningless once an image's channels are permuted
COLOUR_HEADS: tuple[str, ...] = tuple(n for n in HEAD_NAMES if "colour" in n)
#: the extractor's "attributes" output: HEAD_NAMES' class indices, then each cell's radius in RADIUS_UNIT
RADIUS_UNIT = 0.01
#: target value of heads that do not apply
IGNORE = -100
CELL_SKILLS = frozenset({"counting", "binding", "relation", "comparative"})
#: relations of the canonical text scene
TEXT_RELATIONS: tuple[str, ...] = ("left of", "above", "in front of", "larger than")
TEXT_SLOTS = 3
TEXT_HEADS: dict[str, tuple[str, ...]] = {
    "skill": SKILLS,
    **{
        f"{attribute}{j}": classes
        for j in range(TEXT_SLOTS)
        for attribute, classes in (
            ("shape", SHAPES),
            ("colour", COLOURS),
            ("size", SIZES),
            ("texture", TEXTURES),
            ("count", ("1", "2", "3", "4")),
        )
    },
    "position": POSITIONS,
    "relation": TEXT_RELATIONS,
}


def _cell_values(record: dict[str, Any]) -> tuple[dict[str, str], list[float]]:
    values: dict[str, str] = {}
    radii = [float("nan")] * CELLS
    for k in range(CELLS):
        values[f"shape{k}"] = "none"
    for obj, geo in zip(expanded(record), record["geometry"], strict=True):
        k = geo["cell"]
        values.update({f"shape{k}": obj["shape"], f"colour{k}": obj["colour"]})
        values[f"texture{k}"] = obj.get("texture", "solid")
        if "size" in obj:
            values[f"size{k}"] = obj["size"]
        radii[k] = geo["radius"]
    return values, radii


def _global_values(record: dict[str, Any]) -> dict[str, str]:
    skill = record["skill"]
    values = {"overlap": "yes" if skill == "occlusion" else "no"}
    objects = expanded(record)
    if skill in ("position", "counting") and len(objects) == 1:
        values.update({f"single_{k}": objects[0][k] for k in ("shape", "colour", "size")})
    if skill == "position":
        values["single_position"] = objects[0]["position"]
    elif skill == "occlusion":
        values.update({f"anchor_shape{k}": "none" for k in range(ANCHORS)})
        front, back = canonical_pair(record)
        for obj, geo, depth in zip((back, front), record["geometry"], ("back", "front"), strict=True):
            k = geo["anchor"]
            values.update({f"anchor_shape{k}": obj["shape"], f"anchor_colour{k}": obj["colour"]})
            values[f"anchor_depth{k}"] = depth
    return values


def encode(records: list[dict[str, Any]], resolution: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Image targets of suite records (with their "geometry"): int64 (N, len(HEADS)) class indices,
    IGNORE where a head does not apply, and float32 (N, CELLS) radii in pixels at 32 px, NaN for none.

    Example:
        >>> from xmbench.data.shapes_skills import ShapesSkillsSuite
        >>> record = ShapesSkillsSuite().get("test", 0).attributes  # one small blue square
        >>> classes, radii = encode([record])
        >>> sorted(HEADS["shape0"][i] for i in classes[0, :16:4].tolist())
        ['none', 'none', 'none', 'square']
        >>> int(radii.isnan().sum())
        3
    """
    classes = torch.full((len(records), len(HEADS)), IGNORE, dtype=torch.int64)
    radii = torch.full((len(records), CELLS), float("nan"), dtype=torch.float32)
    for row, record in enumerate(records):
        values = _global_values(record)
        if record["skill"] in CELL_SKILLS:
            cells, cell_radii = _cell_values(record)
            values.update(cells)
            radii[row] = torch.tensor(cell_radii) * (32.0 / resolution)
        for col, (head, names) in enumerate(HEADS.items()):
            if head in values:
                classes[row, col] = names.index(values[head])
    return classes, radii


def perfect_attributes(records: list[dict[str, Any]], resolution: int = 32) -> torch.Tensor:
    """The "attributes" output of an evaluator that reads suite records (with geometry) without error:
    int64 (N, len(HEADS) + CELLS), heads that do not apply at class 0.

    Example:
        >>> from xmbench.data.shapes_skills import ShapesSkillsSuite
        >>> attributes = perfect_attributes([ShapesSkillsSuite().get("test", 0).attributes])
        >>> attributes.shape[1] == len(HEADS) + CELLS, decode(attributes)[0]["cells"][2]["shape"]
        (True, 'square')
    """
    classes, radii = encode(records, resolution)
    return torch.cat([classes.clamp_min(0), (radii.nan_to_num(0.0) / RADIUS_UNIT).round().long()], 1)


def decode(attributes: torch.Tensor) -> list[dict[str, Any]]:
    """What the evaluator saw, from its int64 (N, len(HEADS) + CELLS) "attributes" output.

    Returns per image {"cells": [None or {"shape", "colour", "size", "texture", "radius"}] * CELLS,
    "single": {"shape", "colour", "size", "position"}, "anchors": [None or {"shape", "colour", "front"}] *
    ANCHORS, "overlap": bool}.

    Example:
        >>> row = [0] * len(HEADS) + [400] * CELLS  # class 0 everywhere: empty cells, a lone red circle
        >>> seen = decode(torch.tensor([row]))[0]
        >>> seen["cells"], seen["single"]["shape"], seen["anchors"], seen["overlap"]
        ([None, None, None, None], 'circle', [None, None, None, None], False)
    """
    out = []
    for row in attributes.tolist():
        v = {head: HEADS[head][i] for head, i in zip(HEAD_NAMES, row, strict=False)}
        cells = []
        for k in range(CELLS):
            obj = {a: v[f"{a}{k}"] for a in CELL_HEADS} | {"radius": row[len(HEADS) + k] * RADIUS_UNIT}
            cells.append(None if obj["shape"] == "none" else obj)
        out.append(
            {
                "cells": cells,
                "single": {k: v[f"single_{k}"] for k in ("shape", "colour", "size", "position")},
                "anchors": [
                    None
                    if v[f"anchor_shape{k}"] == "none"
                    else {
                        "shape": v[f"anchor_shape{k}"],
                        "colour": v[f"anchor_colour{k}"],
                        "front": v[f"anchor_depth{k}"] == "front",
                    }
                    for k in range(ANCHORS)
                ],
                "overlap": v["overlap"] == "yes",
            }
        )
    return out


def text_scene(record: dict[str, Any]) -> dict[str, str]:
    """A record's canonical scene as TEXT_HEADS values (heads that do not apply are absent).

    Example:
        >>> text_scene({"skill": "occlusion", "relation": "behind",
        ...             "objects": [{"shape": "circle", "colour": "red"}, {"shape": "square", "colour": "blue"}]})
        {'skill': 'occlusion', 'shape0': 'square', 'colour0': 'blue', 'shape1': 'circle', 'colour1': 'red', \
'relation': 'in front of'}
    """
    skill, objects = record["skill"], record["objects"]
    values = {"skill": skill}
    if record["relation"] is not None:
        objects = list(canonical_pair(record))
    elif skill != "position":
        objects = sorted(objects, key=lambda o: (SHAPES.index(o["shape"]), COLOURS.index(o["colour"]), str(o)))
    for j, obj in enumerate(objects):
        values.update({f"{k}{j}": str(v) for k, v in obj.items() if k != "position"})
    if skill == "position":
        values["position"] = objects[0]["position"]
    if record["relation"] is not None:
        spatial = "left of" if axis(record["relation"]) == "horizontal" else "above"
        values["relation"] = {"occlusion": "in front of", "comparative": "larger than"}.get(skill, spatial)
    return values


def encode_text(records: list[dict[str, Any]]) -> torch.Tensor:
    """int64 (N, len(TEXT_HEADS)) canonical text targets of scene records, IGNORE where a head does not apply.

    Example:
        >>> record = {"skill": "counting", "relation": None,
        ...           "objects": [{"count": 3, "shape": "circle", "colour": "red", "size": "small"}]}
        >>> encode_text([record])[0, :6].tolist()  # skill, shape0, colour0, size0, texture0, count0
        [0, 0, 0, 0, -100, 2]
    """
    out = torch.full((len(records), len(TEXT_HEADS)), IGNORE, dtype=torch.int64)
    for row, record in enumerate(records):
        scene = text_scene(record)
        for col, (head, names) in enumerate(TEXT_HEADS.items()):
            if head in scene:
                out[row, col] = names.index(scene[head])
    return out
