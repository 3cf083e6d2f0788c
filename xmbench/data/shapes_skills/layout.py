"""Where the objects of a shapes-skills scene go: geometry per skill, in pixels at 32 px (scaled otherwise).

- counting, binding, relation, comparative: one object per cell of a 2x2 grid (cells numbered
  row-major from the top left, centres at 8 and 24 px, jitter up to 0.75 px): objects never touch.
  A relation's two objects share a row (left of / right of) or a column (above / below).
- position: v1's 3x3 grid (centres at 7, 16 and 25 px, jitter up to 1 px).
- occlusion: two overlapping objects centred near two neighbouring anchors (the centres of the central
  2x2 squares of an 8 px grid, at 12 and 20 px, jitter up to 1 px), the occluder hiding 15% to 35% of
  the other.
Radii: small 3.75 px, large 6 px (each +-0.25); binding objects are large; comparative objects differ by
a factor of 1.5 to 1.7 (the smaller 3 to 4 px); occluding objects 5.25 to 6.25 px.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xmbench.data.shapes.vocabulary import POSITIONS
from xmbench.data.shapes_skills.render import coverage
from xmbench.data.shapes_skills.scenes import Record, axis, canonical_pair

Geometry = dict[str, float]
CELL_CENTRES: tuple[float, float] = (8.0, 24.0)
GRID_CENTRES: tuple[float, float, float] = (7.0, 16.0, 25.0)
#: occlusion anchors: the centres of the four central squares of an 8 px grid
ANCHOR_CENTRES: tuple[float, float] = (12.0, 20.0)
ANCHORS = 4
RADIUS: dict[str, float] = {"small": 3.75, "large": 6.0}
#: share of the occluded object the occluder hides
HIDDEN_RANGE: tuple[float, float] = (0.15, 0.35)
_CELL_JITTER = 0.75
_OCCLUSION_TRIES = 200


def expanded(record: Record) -> list[dict[str, Any]]:
    """One entry per drawn object: counting groups repeated `count` times, other records' objects as they are.

    Example:
        >>> len(expanded({"skill": "counting", "objects": [{"count": 3, "shape": "circle"}], "relation": None}))
        3
    """
    return [o for o in record["objects"] for _ in range(o.get("count", 1))]


def cell_centre(cell: int) -> tuple[float, float]:
    """(x, y) centre in pixels at 32 px of 2x2 cell `cell` (0 top left, 1 top right, 2 bottom left, 3 bottom right).

    Example:
        >>> cell_centre(1)
        (24.0, 8.0)
    """
    return CELL_CENTRES[cell % 2], CELL_CENTRES[cell // 2]


def anchor_centre(anchor: int) -> tuple[float, float]:
    """(x, y) centre in pixels at 32 px of occlusion anchor `anchor` (the central 2x2 of an 8 px grid, row-major).

    Example:
        >>> anchor_centre(2)
        (12.0, 20.0)
    """
    return ANCHOR_CENTRES[anchor % 2], ANCHOR_CENTRES[anchor // 2]


def _radius(rng: np.random.Generator, size: str) -> float:
    return RADIUS[size] + rng.uniform(-0.25, 0.25)


def _cells(record: Record, rng: np.random.Generator) -> list[int]:
    n = len(expanded(record))
    if record["skill"] != "relation":
        return [int(c) for c in rng.permutation(4)[:n]]
    line = int(rng.integers(2))
    # the left or top object first: cells (row, row + 1) for a row, (column, column + 2) for a column
    first, second = (2 * line, 2 * line + 1) if axis(record["relation"]) == "horizontal" else (line, line + 2)
    return [first, second] if canonical_pair(record)[0] is record["objects"][0] else [second, first]


def _cell_radii(record: Record, rng: np.random.Generator) -> list[float]:
    if record["skill"] == "binding":
        return [_radius(rng, "large") for _ in record["objects"]]
    if record["skill"] != "comparative":
        return [_radius(rng, o["size"]) for o in expanded(record)]
    small = rng.uniform(3.0, 4.0)
    large = min(6.6, small * rng.uniform(1.5, 1.7))
    return [large, small] if canonical_pair(record)[0] is record["objects"][0] else [small, large]


def _cell_layout(record: Record, rng: np.random.Generator) -> list[Geometry]:
    cells, radii = _cells(record, rng), _cell_radii(record, rng)
    out = []
    for cell, radius in zip(cells, radii, strict=True):
        x, y = cell_centre(cell)
        jx, jy = rng.uniform(-_CELL_JITTER, _CELL_JITTER, size=2)
        out.append({"x": x + jx, "y": y + jy, "radius": radius, "cell": cell})
    return out


def _grid_layout(record: Record, rng: np.random.Generator) -> list[Geometry]:
    obj = record["objects"][0]
    cell = POSITIONS.index(obj["position"])
    radius = _radius(rng, obj["size"])
    jx, jy = rng.uniform(-1.0, 1.0, size=2)
    return [{"x": GRID_CENTRES[cell % 3] + jx, "y": GRID_CENTRES[cell // 3] + jy, "radius": radius}]


def hidden_share(back: tuple[str, Geometry], front: tuple[str, Geometry], resolution: int = 32) -> float:
    """Share of the back object's coverage that the front object hides, in [0,1].

    Example:
        >>> a, b, c = ({"x": x, "y": 16.0, "radius": 6.0} for x in (10.0, 16.0, 30.0))
        >>> round(hidden_share(("circle", a), ("circle", b)), 2), hidden_share(("circle", a), ("circle", c))
        (0.36, 0.0)
    """
    b = coverage(back[0], back[1]["x"], back[1]["y"], back[1]["radius"], resolution)
    f = coverage(front[0], front[1]["x"], front[1]["y"], front[1]["radius"], resolution)
    return float((b * f).sum() / max(b.sum(), 1e-12))


def _occlusion_layout(record: Record, rng: np.random.Generator) -> list[Geometry]:
    """Back object then front object (drawing order), centred near neighbouring anchors, the front hiding a
    share in HIDDEN_RANGE of the back (the closest draw of _OCCLUSION_TRIES when none falls inside)."""
    front, back = canonical_pair(record)
    best_miss, best = np.inf, []
    for _ in range(_OCCLUSION_TRIES):
        first = int(rng.integers(ANCHORS))
        # the anchor beside it in its row (horizontal neighbour) or its column (vertical neighbour)
        second = first ^ 1 if rng.integers(2) == 0 else first ^ 2
        radii = rng.uniform(5.25, 6.25, size=2)
        jitter = rng.uniform(-1.0, 1.0, size=(2, 2))
        geometry = []
        for anchor, radius, (jx, jy) in zip((first, second), radii, jitter, strict=True):
            x, y = anchor_centre(anchor)
            geometry.append({"x": x + jx, "y": y + jy, "radius": float(radius), "anchor": anchor})
        share = hidden_share((back["shape"], geometry[0]), (front["shape"], geometry[1]))
        miss = max(HIDDEN_RANGE[0] - share, share - HIDDEN_RANGE[1], 0.0)
        if miss < best_miss:
            best_miss, best = miss, geometry
        if miss == 0.0:
            break
    return best


def layout(record: Record, rng: np.random.Generator) -> list[Geometry]:
    """Geometry at 32 px: one {"x", "y", "radius"} per drawn object (`expanded` order; "cell" on the 2x2
    grid), except occlusion: [back, front], the drawing order, each with its "anchor".

    Example:
        >>> record = {"skill": "relation", "relation": "right of",
        ...           "objects": [{"shape": "circle", "colour": "red", "size": "small"},
        ...                       {"shape": "square", "colour": "blue", "size": "large"}]}
        >>> a, b = layout(record, np.random.default_rng(0))
        >>> bool(a["x"] > b["x"] + 10 and abs(a["y"] - b["y"]) < 2)
        True
    """
    if record["skill"] == "position":
        return _grid_layout(record, rng)
    if record["skill"] == "occlusion":
        return _occlusion_layout(record, rng)
    return _cell_layout(record, rng)
