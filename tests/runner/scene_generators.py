"""Generators and a suite for the multi-image, robustness, memorisation and skills tests (imported by
path from the run configs)."""

import numpy as np
import torch

from xmbench.data.base import Sample
from xmbench.data.shapes import ShapesSuite
from xmbench.data.shapes.grammar import make_caption, parse_caption
from xmbench.data.shapes.vocabulary import POSITIONS
from xmbench.data.shapes_skills import ShapesSkillsSuite
from xmbench.errors import InputError
from xmbench.extractors import get_extractor
from xmbench.extractors.shapes_v1.targets import decode
from xmbench.seeding import derive_seed


class Rerender:
    """Each caption's scene (read with the shapes grammar) rendered afresh with the suite's own jitter,
    sample i of a chunk seeded from (seed, i): the images of one prompt differ from seed to seed. A
    caption outside the grammar gets a black image.

    constant: one render per caption whatever the seed (a collapsed generator); degrade="position": a
    one-object scene is drawn one grid cell further (only the position is wrong).
    """

    def __init__(self, constant: bool = False, degrade: str = "") -> None:
        self.suite, self.constant, self.degrade = ShapesSuite(), constant, degrade

    def scene(self, caption: str) -> dict | None:
        try:
            record = parse_caption(caption)
        except InputError:
            return None
        if self.degrade == "position" and len(record["objects"]) == 1:
            obj = record["objects"][0]
            obj["position"] = POSITIONS[(POSITIONS.index(obj["position"]) + 1) % len(POSITIONS)]
        return record

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        out = []
        for i, caption in enumerate(captions):
            record = self.scene(caption)
            if record is None:
                out.append(np.zeros((3, 32, 32), dtype=np.uint8))
                continue
            out.append(self.suite.render(record, 0 if self.constant else derive_seed(seed, "sample", i)))
        return torch.from_numpy(np.stack(out))


class TrainingImages:
    """Hands back training images: caption c gets one of the first `limit` training images, by its hash."""

    def __init__(self, limit: int = 400) -> None:
        self.suite, self.limit = ShapesSuite(), limit

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        return self.suite.batch("train", [derive_seed(c) % self.limit for c in captions]).images


class SkilledShapes(ShapesSuite):
    """The shapes suite whose scene records name a skill: "single" (one object) or "pair" (two)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.name = "shapes-skilled"

    @staticmethod
    def _skilled(record: dict) -> dict:
        return {**record, "skill": "single" if len(record["objects"]) == 1 else "pair"}

    def _get(self, split: str, index: int) -> Sample:
        sample = super()._get(split, index)
        return Sample(sample.split, sample.index, sample.image, sample.caption, self._skilled(sample.attributes))

    def records(self, split, indices):
        return [self._skilled(r) for r in super().records(split, indices)]


class EvaluatorCaptioner:
    """Captions an image with the scene the shipped shapes-v1 evaluator reads in it (a pixel-reading captioner)."""

    def __init__(self) -> None:
        self.extractor = get_extractor("shapes-v1")

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        out = []
        for k, scene in enumerate(decode(self.extractor.images(images)["attributes"])):
            objects = [dict(slot) for slot in scene["slots"]]
            if scene["count"] == 1:
                objects[0]["position"] = scene["position"]
            relation = None if scene["count"] == 1 else "left of" if scene["axis"] == "horizontal" else "above"
            out.append(make_caption({"objects": objects, "relation": relation}, np.random.default_rng([seed, k])))
        return out


class SkillsLookup:
    """Renders the scene of each of the first `samples` shapes-skills test prompts and of their robustness
    rewrites (looked up by text; the rewrites drawn with the runner's seeds), image i of a chunk seeded from
    (seed, i); any other caption gets a black image. `deaf`: a skill whose rewritten prompts it cannot
    read (black images), as a model that learned that skill's wording only."""

    def __init__(self, samples: int, deaf: str = "") -> None:
        self.suite = ShapesSkillsSuite()
        captions, records = self.suite.captions("test", range(samples)), self.suite.records("test", range(samples))
        self.scenes = dict(zip(captions, records, strict=True))
        for variant in self.suite.rewrite_variants:
            for i, (caption, record) in enumerate(zip(captions, records, strict=True)):
                text = self.suite.rewrite(variant, caption, record, derive_seed(0, "robustness", variant, i))
                if text is not None and record["skill"] != deaf:
                    self.scenes.setdefault(text, record)

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        out = [
            self.suite.render(self.scenes[c], derive_seed(seed, "sample", i))
            if c in self.scenes
            else np.zeros((3, 32, 32), dtype=np.uint8)
            for i, c in enumerate(captions)
        ]
        return torch.from_numpy(np.stack(out))
