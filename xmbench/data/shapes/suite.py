"""The `shapes` suite: one or two coloured shapes on a textured background, with exact attributes.

Every sample is a pure function of (seed, split, index): random access, no files, bit-identical
across runs and machines (NumPy's PCG64 stream and IEEE float64 arithmetic).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from xmbench.data.base import Sample, Suite
from xmbench.data.shapes import rewrites
from xmbench.data.shapes.grammar import make_caption
from xmbench.data.shapes.render import background, render_scene
from xmbench.data.shapes.vocabulary import (
    COLOUR_RGB,
    COLOURS,
    HELD_OUT_PAIRS,
    POSITIONS,
    RELATIONS,
    SHAPES,
    SIZES,
)
from xmbench.errors import InputError

#: bump when rendering or sampling changes: results record it, caches key on it
GENERATOR_VERSION = 1
SPLIT_SIZES: dict[str, int] = {"train": 20_000, "val": 2_000, "test": 5_000, "compositional": 2_000}
_SPLIT_CODES = {"train": 1, "val": 2, "test": 3, "compositional": 4}
_ALL_PAIRS = [(c, s) for c in COLOURS for s in SHAPES]
SEEN_PAIRS: tuple[tuple[str, str], ...] = tuple(p for p in _ALL_PAIRS if p not in HELD_OUT_PAIRS)
UNSEEN_PAIRS: tuple[tuple[str, str], ...] = tuple(p for p in _ALL_PAIRS if p in HELD_OUT_PAIRS)

#: reference captions per image for image -> text evaluation (independent grammar draws of the scene)
REFERENCES_PER_IMAGE = 5
#: bump when the reference captions change; captioning records carry it
REFERENCES_VERSION = 1
# the references' RNG stream: a fifth seed word keeps it apart from the sample's own stream
_REFERENCE_STREAM = 1
# fresh renders of a given record (`render`): a split code no split uses
_RENDER_STREAM = 0

# geometry at 32x32; scaled by resolution / 32
_RADIUS = {"small": 4.0, "large": 6.5}
_CELL_CENTRES = (7.0, 16.0, 25.0)


class ShapesSuite(Suite):
    """Procedural shapes suite. resolution: 32 (default) or 64; seed selects the whole dataset."""

    rewrite_variants = rewrites.VARIANTS
    rewrites_version = rewrites.VERSION

    def __init__(self, resolution: int = 32, seed: int = 0) -> None:
        if resolution not in (32, 64):
            raise InputError(f"shapes suite renders at 32 or 64 pixels, not {resolution}; pass --resolution 32 or 64")
        self.name = "shapes"
        self.resolution = resolution
        self.seed = int(seed)
        self._scale = resolution / 32.0

    @property
    def splits(self) -> dict[str, int]:
        return dict(SPLIT_SIZES)

    def describe(self) -> str:
        return (
            f"procedural shapes ({len(SHAPES)} shapes, {len(COLOURS)} colours, {len(SIZES)} sizes, "
            f"3x3 positions, {len(RELATIONS)} relations), {self.resolution}x{self.resolution}, "
            f"compositional hold-out of {len(UNSEEN_PAIRS)} colour-shape pairs"
        )

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "seed": self.seed, "generator_version": GENERATOR_VERSION}

    def _rng(self, split: str, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, _SPLIT_CODES[split], index, GENERATOR_VERSION])

    def _pair(self, rng: np.random.Generator, held_out: bool) -> tuple[str, str]:
        pairs = UNSEEN_PAIRS if held_out else SEEN_PAIRS
        return pairs[int(rng.integers(len(pairs)))]

    def _scene(self, split: str, rng: np.random.Generator) -> tuple[dict[str, Any], list[dict[str, float]]]:
        compositional = split == "compositional"
        n_objects = 1 + int(rng.integers(2))
        held = (
            [compositional]
            if n_objects == 1
            else ([True, False] if rng.integers(2) == 0 else [False, True])
            if compositional
            else [False, False]
        )
        objects = []
        for h in held:
            colour, shape = self._pair(rng, h)
            objects.append({"shape": shape, "colour": colour, "size": SIZES[int(rng.integers(2))]})
        radii = self._radii(rng, objects)
        if n_objects == 1:
            objects[0]["position"] = POSITIONS[int(rng.integers(9))]
            return {"objects": objects, "relation": None}, self._one_object_geometry(rng, objects[0], radii)
        relation = RELATIONS[int(rng.integers(len(RELATIONS)))]
        geometry = self._two_object_geometry(rng, relation, radii)
        return {"objects": objects, "relation": relation}, geometry

    def _radii(self, rng: np.random.Generator, objects: list[dict[str, Any]]) -> list[float]:
        return [(_RADIUS[o["size"]] + rng.uniform(-0.25, 0.25)) * self._scale for o in objects]

    def _one_object_geometry(
        self, rng: np.random.Generator, obj: dict[str, Any], radii: list[float]
    ) -> list[dict[str, float]]:
        cell = POSITIONS.index(obj["position"])
        jitter = rng.uniform(-1.0, 1.0, size=2) * self._scale
        return [
            {
                "x": _CELL_CENTRES[cell % 3] * self._scale + jitter[0],
                "y": _CELL_CENTRES[cell // 3] * self._scale + jitter[1],
                "radius": radii[0],
            }
        ]

    def _two_object_geometry(
        self, rng: np.random.Generator, relation: str, radii: list[float]
    ) -> list[dict[str, float]]:
        size, s = float(self.resolution), self._scale
        # along the relation's axis, objects[0] comes first for "left of"/"above", second otherwise
        first, second = (0, 1) if relation in ("left of", "above") else (1, 0)
        r1, r2 = radii[first], radii[second]
        slack = size - 2 * s - 2 * r1 - 2 * r2 - 2 * s
        gap = 2 * s + rng.uniform(0.0, max(0.0, min(4 * s, slack)))
        distance = r1 + r2 + gap
        start = rng.uniform(s + r1, size - s - distance - r2)
        along = {first: start, second: start + distance}
        rmax = max(radii)
        cross = rng.uniform(s + rmax, size - s - rmax)
        cross_jitter = rng.uniform(-1.0, 1.0, size=2) * s
        geometry = []
        for k in (0, 1):
            a, c = along[k], float(np.clip(cross + cross_jitter[k], radii[k], size - radii[k]))
            x, y = (a, c) if relation in ("left of", "right of") else (c, a)
            geometry.append({"x": x, "y": y, "radius": radii[k]})
        return geometry

    def _paint(self, rng: np.random.Generator, record: dict[str, Any], geometry: list[dict[str, float]]) -> np.ndarray:
        """uint8 (3,H,W): the record's objects at `geometry`, jittered colours, a fresh background."""
        colours = [
            np.clip(np.asarray(COLOUR_RGB[o["colour"]]) + rng.uniform(-0.05, 0.05, size=3), 0.0, 1.0)
            for o in record["objects"]
        ]
        return render_scene(
            geometry, [o["shape"] for o in record["objects"]], colours, background(rng, self.resolution)
        )

    def _get(self, split: str, index: int) -> Sample:
        rng = self._rng(split, index)
        record, geometry = self._scene(split, rng)
        caption = make_caption(record, rng)
        image = self._paint(rng, record, geometry)
        record["geometry"] = [{k: round(float(v), 3) for k, v in g.items()} for g in geometry]
        return Sample(split, index, image, caption, record)

    def render(self, record: dict[str, Any], seed: int) -> np.ndarray:
        """A fresh render of scene `record` ({"objects", "relation"}): the suite's own jitter of size,
        placement, colour and background drawn from `seed`, so two seeds give two independent images of
        one scene (as two samples of the suite with the same record would be).

        Returns uint8 (3,H,W).

        Example:
            >>> suite = ShapesSuite()
            >>> record = suite.records("test", [0])[0]
            >>> a, b = suite.render(record, seed=1), suite.render(record, seed=2)
            >>> a.shape, bool((a == suite.render(record, seed=1)).all()), bool((a == b).all())
            ((3, 32, 32), True, False)
        """
        rng = np.random.default_rng([self.seed, _RENDER_STREAM, int(seed), GENERATOR_VERSION])
        radii = self._radii(rng, record["objects"])
        if len(record["objects"]) == 1:
            geometry = self._one_object_geometry(rng, record["objects"][0], radii)
        else:
            geometry = self._two_object_geometry(rng, record["relation"], radii)
        return self._paint(rng, record, geometry)

    def captions(self, split: str, indices: Sequence[int]) -> list[str]:
        out = []
        for i in indices:
            self.check_index(split, int(i))
            rng = self._rng(split, int(i))
            record, _ = self._scene(split, rng)
            out.append(make_caption(record, rng))
        return out

    def records(self, split: str, indices: Sequence[int]) -> list[dict[str, Any]]:
        """Scene records {"objects", "relation"} of `indices` (without rendering; no geometry)."""
        out = []
        for i in indices:
            self.check_index(split, int(i))
            out.append(self._scene(split, self._rng(split, int(i)))[0])
        return out

    def references(self, split: str, indices: Sequence[int]) -> list[list[str]]:
        """`REFERENCES_PER_IMAGE` captions of each sample's scene: independent draws of template and synonyms.

        They come from an RNG stream of their own, a pure function of (seed, split, index): the sample's
        caption (`captions`) is unchanged and is not among them (except by chance of the draw).

        Example:
            >>> refs = ShapesSuite().references("test", [0])[0]
            >>> len(refs), refs == ShapesSuite().references("test", [0])[0]
            (5, True)
        """
        out = []
        for i, record in zip(indices, self.records(split, indices), strict=True):
            rng = np.random.default_rng(
                [self.seed, _SPLIT_CODES[split], int(i), GENERATOR_VERSION, _REFERENCE_STREAM, REFERENCES_VERSION]
            )
            out.append([make_caption(record, rng) for _ in range(REFERENCES_PER_IMAGE)])
        return out

    def held_out_references(self, split: str, indices: Sequence[int]) -> tuple[list[str], list[list[str]]]:
        """(the samples' own captions, all their references): the own caption is a sixth independent draw."""
        return self.captions(split, indices), self.references(split, indices)

    def rewrite(self, variant: str, caption: str, record: dict[str, Any], seed: int) -> str | None:
        """`xmbench.data.shapes.rewrites.rewrite`: the scene of `record` said differently.

        Example:
            >>> suite = ShapesSuite()
            >>> caption, record = suite.captions("test", [3])[0], suite.records("test", [3])[0]
            >>> suite.rewrite("paraphrase", caption, record, seed=0)
            'the picture shows a massive ruby-coloured crosshair toward the northeast of the frame'
            >>> caption
            'a large scarlet plus in the top right corner'
        """
        return rewrites.rewrite(variant, caption, record, seed)

    def reference_protocol(self) -> dict[str, Any]:
        """How references are made, for captioning records."""
        return {"references_per_image": REFERENCES_PER_IMAGE, "references_version": REFERENCES_VERSION}
