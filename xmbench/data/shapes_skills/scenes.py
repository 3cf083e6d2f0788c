"""Scene records of the shapes-skills suite: one sampler per skill, and the held-out test of each.

A record is {"skill", "objects", "relation"} (see `grammar`). `sample_scene` draws the record of one
skill, with a held-out combination (compositional splits) or without one (train / val / test), by
drawing until the record's `is_held_out` agrees: a pure function of the generator's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from xmbench.data.shapes.vocabulary import COLOURS, POSITIONS, RELATIONS, SHAPES, SIZES
from xmbench.data.shapes_skills.vocabulary import (
    COMPARISONS,
    DEPTHS,
    HELD_OUT_ARRANGEMENTS,
    HELD_OUT_COUNTS,
    HELD_OUT_DEPTHS,
    HELD_OUT_PLACES,
    HELD_OUT_SIZES,
    HELD_OUT_TRIPLES,
    TEXTURES,
)

Record = dict[str, Any]
#: relations under which objects[0] comes first in the canonical pair (left / top, front, larger)
_FIRST_LEADS = frozenset({"left of", "above", "in front of", "larger than"})
#: (count of group 1, count of group 2) of two-group counting scenes: at most four objects
_TWO_GROUP_COUNTS = ((1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (2, 2))


def _choice(rng: np.random.Generator, values: tuple[Any, ...]) -> Any:
    return values[int(rng.integers(len(values)))]


def canonical_pair(record: Record) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two objects of a relation, occlusion or comparative record in canonical order: (left or top,
    right or bottom), (front, back) or (larger, smaller), however the caption words the relation.

    Example:
        >>> a, b = {"shape": "circle"}, {"shape": "square"}
        >>> canonical_pair({"skill": "occlusion", "objects": [a, b], "relation": "behind"}) == (b, a)
        True
    """
    first, second = record["objects"]
    return (first, second) if record["relation"] in _FIRST_LEADS else (second, first)


def axis(relation: str) -> str:
    """The axis of a spatial relation: "horizontal" for left of / right of, "vertical" for above / below.

    Example:
        >>> axis("right of"), axis("above")
        ('horizontal', 'vertical')
    """
    return "horizontal" if relation in ("left of", "right of") else "vertical"


def _distinct(objects: list[dict[str, Any]], keys: tuple[str, ...]) -> bool:
    return len({tuple(o[k] for k in keys) for o in objects}) == len(objects)


def _counting(rng: np.random.Generator) -> Record:
    counts = (int(rng.integers(1, 5)),) if rng.integers(2) == 0 else _choice(rng, _TWO_GROUP_COUNTS)
    shapes = rng.permutation(len(SHAPES))[: len(counts)]
    objects = [
        {"count": n, "shape": SHAPES[s], "colour": _choice(rng, COLOURS), "size": _choice(rng, SIZES)}
        for n, s in zip(counts, shapes, strict=True)
    ]
    return {"skill": "counting", "objects": objects, "relation": None}


def _binding(rng: np.random.Generator) -> Record:
    while True:
        objects = [
            {"shape": _choice(rng, SHAPES), "colour": _choice(rng, COLOURS), "texture": _choice(rng, TEXTURES)}
            for _ in range(2 + int(rng.integers(2)))
        ]
        if _distinct(objects, ("shape", "colour", "texture")):
            return {"skill": "binding", "objects": objects, "relation": None}


def _pair(rng: np.random.Generator, skill: str, relations: tuple[str, ...], distinct: tuple[str, ...]) -> Record:
    """Two objects differing in the `distinct` attributes; relation skills state sizes too."""
    while True:
        objects = [{"shape": _choice(rng, SHAPES), "colour": _choice(rng, COLOURS)} for _ in range(2)]
        if skill == "relation":
            for o in objects:
                o["size"] = _choice(rng, SIZES)
        if _distinct(objects, distinct):
            return {"skill": skill, "objects": objects, "relation": _choice(rng, relations)}


def _occlusion(rng: np.random.Generator) -> Record:
    # distinct colours: the occluder's edge stays visible over the occluded object
    return _pair(rng, "occlusion", DEPTHS, ("colour",))


def _comparative(rng: np.random.Generator) -> Record:
    return _pair(rng, "comparative", COMPARISONS, ("shape", "colour"))


def _relation(rng: np.random.Generator) -> Record:
    return _pair(rng, "relation", RELATIONS, ("shape", "colour"))


def _position(rng: np.random.Generator) -> Record:
    obj = {
        "shape": _choice(rng, SHAPES),
        "colour": _choice(rng, COLOURS),
        "size": _choice(rng, SIZES),
        "position": _choice(rng, POSITIONS),
    }
    return {"skill": "position", "objects": [obj], "relation": None}


_SAMPLERS: dict[str, Callable[[np.random.Generator], Record]] = {
    "counting": _counting,
    "binding": _binding,
    "occlusion": _occlusion,
    "comparative": _comparative,
    "position": _position,
    "relation": _relation,
}


def held_out_combinations(record: Record) -> list[tuple[Any, ...]]:
    """The held-out combinations (vocabulary.HELD_OUT_*) a record holds; empty for train / val / test scenes.

    Example:
        >>> held_out_combinations({"skill": "counting", "relation": None,
        ...     "objects": [{"count": 4, "shape": "square", "colour": "red", "size": "small"}]})
        [(4, 'square')]
    """
    skill, objects = record["skill"], record["objects"]
    if skill == "counting":
        found = [(o["count"], o["shape"]) for o in objects]
        return [c for c in found if c in HELD_OUT_COUNTS]
    if skill == "binding":
        return [t for t in ((o["colour"], o["shape"], o["texture"]) for o in objects) if t in HELD_OUT_TRIPLES]
    if skill == "position":
        place = (objects[0]["shape"], objects[0]["position"])
        return [place] if place in HELD_OUT_PLACES else []
    first, second = canonical_pair(record)
    if skill == "relation":
        arrangement = (axis(record["relation"]), first["shape"], second["shape"])
        return [arrangement] if arrangement in HELD_OUT_ARRANGEMENTS else []
    held = HELD_OUT_DEPTHS if skill == "occlusion" else HELD_OUT_SIZES
    pair = (first["shape"], second["shape"])
    return [pair] if pair in held else []


def sample_scene(skill: str, rng: np.random.Generator, held_out: bool) -> Record:
    """A scene record of `skill`: holding a held-out combination when `held_out`, else none.

    Args:
        skill: one of vocabulary.SKILLS.
        rng: the sample's generator (advanced).
        held_out: whether the scene belongs to the skill's compositional split.

    Example:
        >>> record = sample_scene("binding", np.random.default_rng(0), held_out=True)
        >>> record["skill"], len(held_out_combinations(record)) > 0
        ('binding', True)
    """
    while True:
        record = _SAMPLERS[skill](rng)
        if bool(held_out_combinations(record)) == held_out:
            return record
