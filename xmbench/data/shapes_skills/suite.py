"""The `shapes-skills` suite: six named skills of compositional text -> image, with exact ground truth.

Every sample is a pure function of (seed, split, index), like `shapes`: the record, the caption, the
drawing and the references each come from their own PCG64 stream seeded by those numbers, so captions
and records are read without rendering. In train / val / test the skill of sample i is SKILLS[i % 6];
each compositional split holds one skill, every scene with one of its held-out combinations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from xmbench.data.base import Sample, Suite
from xmbench.data.shapes.render import background
from xmbench.data.shapes.vocabulary import COLOUR_RGB
from xmbench.data.shapes_skills import rewrites
from xmbench.data.shapes_skills.grammar import make_caption
from xmbench.data.shapes_skills.layout import expanded, layout
from xmbench.data.shapes_skills.render import Paint, render_objects
from xmbench.data.shapes_skills.scenes import Record, canonical_pair, sample_scene
from xmbench.data.shapes_skills.vocabulary import SKILLS
from xmbench.errors import InputError

#: bump when rendering or sampling changes: results record it, caches key on it
GENERATOR_VERSION = 1
SPLIT_SIZES: dict[str, int] = {
    "train": 48_000,
    "val": 2_400,
    "test": 6_000,
    **{f"compositional-{skill}": 1_000 for skill in SKILLS},
}
_SPLIT_CODES = {split: 11 + k for k, split in enumerate(SPLIT_SIZES)}
#: reference captions per image for image -> text evaluation (independent grammar draws of the scene)
REFERENCES_PER_IMAGE = 5
#: bump when the reference captions change; captioning records carry it
REFERENCES_VERSION = 1
# one stream per use, so that captions and records never depend on the drawing
_RECORD, _CAPTION, _DRAWING, _REFERENCES = range(4)
#: the stream of `render`'s fresh draws, apart from every split's (whose first seed words are split codes)
_RENDER_STREAM = 99
_PIXELS = ("x", "y", "radius")
_STRIPE_ANGLES = (0.0, 0.25 * np.pi, 0.5 * np.pi, 0.75 * np.pi)


def skill_of(split: str, index: int) -> str:
    """The skill of sample `index` of `split`.

    Example:
        >>> skill_of("test", 7), skill_of("compositional-binding", 7)
        ('binding', 'binding')
    """
    return split.removeprefix("compositional-") if split.startswith("compositional-") else SKILLS[index % len(SKILLS)]


def _paints(record: Record, rng: np.random.Generator) -> list[Paint]:
    objects = list(canonical_pair(record))[::-1] if record["skill"] == "occlusion" else expanded(record)
    paints = []
    for obj in objects:
        rgb = np.clip(np.asarray(COLOUR_RGB[obj["colour"]]) + rng.uniform(-0.05, 0.05, size=3), 0.0, 1.0)
        angle = _STRIPE_ANGLES[int(rng.integers(len(_STRIPE_ANGLES)))]
        phase = (float(rng.random()), float(rng.random()))
        paints.append(Paint(obj["shape"], rgb, obj.get("texture", "solid"), angle, phase))
    return paints


class ShapesSkillsSuite(Suite):
    """Procedural shapes-skills suite. resolution: 32 (default) or 64; seed selects the whole dataset.

    Example:
        >>> suite = ShapesSkillsSuite()
        >>> sample = suite.get("test", 0)
        >>> sample.image.shape, sample.attributes["skill"]
        ((3, 32, 32), 'counting')
    """

    rewrite_variants = rewrites.VARIANTS
    rewrites_version = rewrites.VERSION

    def __init__(self, resolution: int = 32, seed: int = 0) -> None:
        if resolution not in (32, 64):
            raise InputError(f"shapes-skills renders at 32 or 64 pixels, not {resolution}; pass --resolution 32 or 64")
        self.name = "shapes-skills"
        self.resolution = resolution
        self.seed = int(seed)
        self._scale = resolution / 32.0

    @property
    def splits(self) -> dict[str, int]:
        return dict(SPLIT_SIZES)

    def describe(self) -> str:
        return (
            f"procedural shapes by skill ({', '.join(SKILLS)}), {self.resolution}x{self.resolution}, "
            "one compositional split per skill"
        )

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "seed": self.seed, "generator_version": GENERATOR_VERSION}

    def _rng(self, split: str, index: int, stream: int, *extra: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, _SPLIT_CODES[split], index, GENERATOR_VERSION, stream, *extra])

    def _record(self, split: str, index: int) -> Record:
        held_out = split.startswith("compositional-")
        return sample_scene(skill_of(split, index), self._rng(split, index, _RECORD), held_out)

    def _draw(self, record: Record, rng: np.random.Generator) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """uint8 (3,H,W) of `record` laid out, painted and put on a background drawn from `rng`, with
        the geometry in pixels of this resolution."""
        geometry = layout(record, rng)
        paints = _paints(record, rng)
        scaled = [{k: v * self._scale if k in _PIXELS else v for k, v in g.items()} for g in geometry]
        return render_objects(scaled, paints, background(rng, self.resolution)), scaled

    def _get(self, split: str, index: int) -> Sample:
        record = self._record(split, index)
        caption = make_caption(record, self._rng(split, index, _CAPTION))
        image, scaled = self._draw(record, self._rng(split, index, _DRAWING))
        record["geometry"] = [{k: round(float(v), 3) if k in _PIXELS else v for k, v in g.items()} for g in scaled]
        return Sample(split, index, image, caption, record)

    def render(self, record: dict[str, Any], seed: int) -> np.ndarray:
        """A fresh render of scene `record` ({"skill", "objects", "relation"}): the suite's own layout,
        colour, texture and background jitter drawn from `seed` (what memorisation's noise floor needs).

        Returns uint8 (3,H,W).

        Example:
            >>> suite = ShapesSkillsSuite()
            >>> record = suite.records("test", [1])[0]
            >>> a, b = suite.render(record, seed=1), suite.render(record, seed=2)
            >>> a.shape, bool((a == suite.render(record, seed=1)).all()), bool((a == b).all())
            ((3, 32, 32), True, False)
        """
        rng = np.random.default_rng([self.seed, _RENDER_STREAM, int(seed), GENERATOR_VERSION])
        scene = {k: v for k, v in record.items() if k != "geometry"}
        return self._draw(scene, rng)[0]

    def captions(self, split: str, indices: Sequence[int]) -> list[str]:
        out = []
        for i in indices:
            self.check_index(split, int(i))
            out.append(make_caption(self._record(split, int(i)), self._rng(split, int(i), _CAPTION)))
        return out

    def records(self, split: str, indices: Sequence[int]) -> list[dict[str, Any]]:
        """Scene records {"skill", "objects", "relation"} of `indices` (without rendering; no geometry)."""
        out = []
        for i in indices:
            self.check_index(split, int(i))
            out.append(self._record(split, int(i)))
        return out

    def references(self, split: str, indices: Sequence[int]) -> list[list[str]]:
        """`REFERENCES_PER_IMAGE` captions of each sample's scene: independent draws of template and synonyms.

        Example:
            >>> refs = ShapesSkillsSuite().references("test", [1])[0]
            >>> len(refs), refs == ShapesSkillsSuite().references("test", [1])[0]
            (5, True)
        """
        out = []
        for i, record in zip(indices, self.records(split, indices), strict=True):
            rng = self._rng(split, int(i), _REFERENCES, REFERENCES_VERSION)
            out.append([make_caption(record, rng) for _ in range(REFERENCES_PER_IMAGE)])
        return out

    def held_out_references(self, split: str, indices: Sequence[int]) -> tuple[list[str], list[list[str]]]:
        """(the samples' own captions, all their references): the own caption is a sixth independent draw."""
        return self.captions(split, indices), self.references(split, indices)

    def rewrite(self, variant: str, caption: str, record: dict[str, Any], seed: int) -> str | None:
        """`xmbench.data.shapes_skills.rewrites.rewrite`: the scene of `record` said differently.

        Example:
            >>> suite = ShapesSkillsSuite()
            >>> caption, record = suite.captions("test", [2])[0], suite.records("test", [2])[0]
            >>> caption
            'a lemon triangle and an amber circle partly behind it'
            >>> suite.rewrite("clause_order", caption, record, seed=0)
            'one yellow triangle partly in front of one amber circle'
        """
        return rewrites.rewrite(variant, caption, record, seed)

    def reference_protocol(self) -> dict[str, Any]:
        """How references are made, for captioning records."""
        return {"references_per_image": REFERENCES_PER_IMAGE, "references_version": REFERENCES_VERSION}
