"""Attribute vocabulary of the shapes suite: canonical values, their synonyms, and held-out pairs."""

from __future__ import annotations

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "cross")
COLOURS: tuple[str, ...] = ("red", "orange", "yellow", "green", "blue", "purple")
SIZES: tuple[str, ...] = ("small", "large")
#: the 3x3 grid, row-major from the top left
POSITIONS: tuple[str, ...] = (
    "top left",
    "top",
    "top right",
    "left",
    "centre",
    "right",
    "bottom left",
    "bottom",
    "bottom right",
)
#: relation of the first-mentioned object to the second
RELATIONS: tuple[str, ...] = ("left of", "right of", "above", "below")

#: (colour, shape) pairs that never occur in train/val/test; every compositional-split image has one
HELD_OUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ("red", "triangle"),
        ("orange", "circle"),
        ("yellow", "cross"),
        ("green", "square"),
        ("blue", "diamond"),
        ("purple", "circle"),
    }
)

SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    "circle": ("circle", "disk", "round dot"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle", "wedge"),
    "diamond": ("diamond", "rhombus", "lozenge"),
    "cross": ("cross", "plus sign", "plus"),
}
COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("red", "crimson", "scarlet"),
    "orange": ("orange", "amber", "tangerine"),
    "yellow": ("yellow", "golden", "lemon"),
    "green": ("green", "emerald", "lime"),
    "blue": ("blue", "azure", "cobalt"),
    "purple": ("purple", "violet", "magenta"),
}
SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("small", "tiny", "little"),
    "large": ("large", "big", "huge"),
}
POSITION_WORDS: dict[str, tuple[str, ...]] = {
    "top left": ("top left", "upper left", "top left corner"),
    "top": ("top", "top middle", "upper centre"),
    "top right": ("top right", "upper right", "top right corner"),
    "left": ("left", "middle left", "left side"),
    "centre": ("centre", "middle", "center"),
    "right": ("right", "middle right", "right side"),
    "bottom left": ("bottom left", "lower left", "bottom left corner"),
    "bottom": ("bottom", "bottom middle", "lower centre"),
    "bottom right": ("bottom right", "lower right", "bottom right corner"),
}
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "left of": ("to the left of", "left of", "on the left of"),
    "right of": ("to the right of", "right of", "on the right of"),
    "above": ("above", "over", "on top of"),
    "below": ("below", "under", "beneath"),
}

#: nominal RGB in [0,1]; each sample jitters around it
COLOUR_RGB: dict[str, tuple[float, float, float]] = {
    "red": (0.88, 0.14, 0.14),
    "orange": (0.97, 0.55, 0.08),
    "yellow": (0.95, 0.90, 0.15),
    "green": (0.15, 0.72, 0.22),
    "blue": (0.16, 0.36, 0.95),
    "purple": (0.62, 0.22, 0.82),
}
