"""Vocabulary of the shapes-skills suite: v1's attributes plus texture, counts, depth and size comparison.

Shapes, colours, sizes, grid positions, spatial relations and their synonyms are those of `shapes`
(`xmbench.data.shapes.vocabulary`). This module adds the words of the new skills and, per skill, the
attribute combinations held out of train / val / test (every one involves an attribute only its skill
has, so a held-out combination appears nowhere in the suite's other splits).
"""

from __future__ import annotations

from xmbench.data.shapes.vocabulary import RELATIONS

SKILLS: tuple[str, ...] = ("counting", "binding", "occlusion", "comparative", "position", "relation")
TEXTURES: tuple[str, ...] = ("solid", "striped", "dotted")
COUNTS: tuple[int, ...] = (1, 2, 3, 4)
#: depth order of objects[0] relative to objects[1] (occlusion)
DEPTHS: tuple[str, ...] = ("in front of", "behind")
#: size of objects[0] relative to objects[1] (comparative)
COMPARISONS: tuple[str, ...] = ("larger than", "smaller than")
#: every relation a record may hold, by skill
SKILL_RELATIONS: dict[str, tuple[str, ...]] = {"relation": RELATIONS, "occlusion": DEPTHS, "comparative": COMPARISONS}
#: the converse of each relation: "A in front of B" is "B behind A"
CONVERSE: dict[str, str] = {
    "left of": "right of",
    "right of": "left of",
    "above": "below",
    "below": "above",
    "in front of": "behind",
    "behind": "in front of",
    "larger than": "smaller than",
    "smaller than": "larger than",
}

TEXTURE_WORDS: dict[str, tuple[str, ...]] = {
    "solid": ("solid", "plain", "filled"),
    "striped": ("striped", "stripy", "banded"),
    "dotted": ("dotted", "spotted", "speckled"),
}
COUNT_WORDS: dict[int, tuple[str, ...]] = {1: ("one", "a single"), 2: ("two",), 3: ("three",), 4: ("four",)}
PLURAL_WORDS: dict[str, tuple[str, ...]] = {
    "circle": ("circles", "disks", "round dots"),
    "square": ("squares", "boxes", "blocks"),
    "triangle": ("triangles", "wedges"),
    "diamond": ("diamonds", "rhombuses", "lozenges"),
    "cross": ("crosses", "plus signs", "pluses"),
}
DEPTH_WORDS: dict[str, tuple[str, ...]] = {
    "in front of": ("in front of", "partly in front of", "covering"),
    "behind": ("behind", "partly behind", "hidden behind"),
}
COMPARISON_WORDS: dict[str, tuple[str, ...]] = {
    "larger than": ("larger than", "bigger than"),
    "smaller than": ("smaller than", "tinier than"),
}

#: counting: (count, shape) groups never in train / val / test ("four squares")
HELD_OUT_COUNTS: frozenset[tuple[int, str]] = frozenset(
    {(1, "diamond"), (2, "circle"), (3, "triangle"), (3, "cross"), (4, "square")}
)
#: binding: (colour, shape, texture) objects never in train / val / test (textured: other skills are solid)
HELD_OUT_TRIPLES: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("red", "circle", "striped"),
        ("orange", "square", "dotted"),
        ("yellow", "triangle", "striped"),
        ("green", "diamond", "dotted"),
        ("blue", "cross", "striped"),
        ("purple", "square", "striped"),
        ("red", "diamond", "dotted"),
        ("blue", "triangle", "dotted"),
    }
)
#: occlusion: (front shape, back shape) never in train / val / test ("a square in front of a circle")
HELD_OUT_DEPTHS: frozenset[tuple[str, str]] = frozenset(
    {("square", "circle"), ("circle", "triangle"), ("triangle", "diamond"), ("diamond", "cross"), ("cross", "square")}
)
#: comparative: (larger shape, smaller shape) never in train / val / test
HELD_OUT_SIZES: frozenset[tuple[str, str]] = frozenset(
    {("circle", "square"), ("square", "triangle"), ("triangle", "cross"), ("diamond", "circle"), ("cross", "diamond")}
)
#: position: (shape, grid position) never in train / val / test
HELD_OUT_PLACES: frozenset[tuple[str, str]] = frozenset(
    {("circle", "top left"), ("square", "bottom"), ("triangle", "right"), ("diamond", "centre"), ("cross", "top right")}
)
#: relation: (axis, first shape, second shape) arrangements never in train / val / test; the first shape is
#: the left one (horizontal) or the top one (vertical), whichever way the caption words it
HELD_OUT_ARRANGEMENTS: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("horizontal", "triangle", "circle"),
        ("horizontal", "square", "diamond"),
        ("horizontal", "cross", "triangle"),
        ("vertical", "circle", "cross"),
        ("vertical", "diamond", "square"),
    }
)
