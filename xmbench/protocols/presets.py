"""Protocol presets: which captions, which reference images, which extractor feeds which metric.

coco-fid30k  MS-COCO 2014 val: 30,000 distinct images drawn with a fixed seed, one seeded caption each;
             FID (torch-fidelity's Inception, TF1-bilinear resize) and KID against those 30,000
             images; CLIP score with ViT-B/32.
cub, oxford  Reed et al. captions, test classes: 30,000 captions (every test caption once in a seeded
             order, then again in a new order until 30,000); FID against every test image once; IS
             with a user-supplied fine-tuned Inception (10 splits); R-precision, AttnGAN/DM-GAN
             protocol (true + 99 captions of other classes, 10 folds of 3,000, mean ± population std)
             as CLIP-R-precision (CLIP ViT-B/32) and, with `with_encoder(id)`, with a named encoder
             such as a DAMSM port (AttnGAN/DM-GAN's numbers).
coco-karpathy  the image -> text preset (xmbench.protocols.captioning).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from xmbench.data.photos import PhotoSuite
from xmbench.errors import InputError, unknown_name
from xmbench.protocols.captioning import CAPTION_PRESETS, CaptionProtocol
from xmbench.seeding import derive_seed

SELECTIONS = ("one-caption-per-image", "cycle-captions")


@dataclass(frozen=True)
class Stage:
    """One extractor pass feeding some metrics. prefix: put before the reported metric names
    (e.g. "clip_" -> "clip_r_precision"); weights_key: which entry of the user's weights mapping
    holds this extractor's weights file; note: the protocol's name for this stage."""

    extractor: str
    metrics: tuple[str, ...]
    prefix: str = ""
    weights_key: str | None = None
    extractor_options: dict[str, Any] = field(default_factory=dict)
    metric_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Protocol:
    """A fixed evaluation recipe on a real suite.

    samples: generated images (one per selected caption); selection: "one-caption-per-image"
    (distinct images, one seeded caption each; the reference is the same images) or
    "cycle-captions" (every caption of the split in seeded order, repeated until `samples`; the
    reference is every image of the split once). seed: selection and generation seeds derive from it.
    """

    name: str
    suite: str
    split: str
    samples: int
    selection: str
    seed: int
    stages: tuple[Stage, ...]
    summary: str = ""

    def caption_indices(self, suite: PhotoSuite) -> list[int]:
        """The sample indices (of `split`) whose captions are generated, in order; len == samples."""
        self._check(suite)
        rng = np.random.default_rng(derive_seed("protocol", self.name, self.seed, "captions"))
        if self.selection == "one-caption-per-image":
            images = self._selected_images(suite)
            offsets = suite.image_indices(self.split) + [suite.size(self.split)]
            return [offsets[k] + int(rng.integers(offsets[k + 1] - offsets[k])) for k in images]
        n, out = suite.size(self.split), []
        while len(out) < self.samples:
            out.extend(int(i) for i in rng.permutation(n))
        return out[: self.samples]

    def reference_indices(self, suite: PhotoSuite) -> list[int]:
        """Sample indices whose images are the reference (real) set: each image once."""
        self._check(suite)
        firsts = suite.image_indices(self.split)
        if self.selection == "one-caption-per-image":
            return [firsts[k] for k in self._selected_images(suite)]
        return firsts

    def _selected_images(self, suite: PhotoSuite) -> list[int]:
        n = suite.n_images(self.split)
        if n < self.samples:
            raise InputError(
                f"protocol {self.name!r} draws {self.samples} distinct images from {self.suite}/"
                f"{self.split}, which has {n}; use the full split or protocol.with_samples(n)"
            )
        rng = np.random.default_rng(derive_seed("protocol", self.name, self.seed, "images"))
        return sorted(int(k) for k in rng.choice(n, self.samples, replace=False))

    def _check(self, suite: PhotoSuite) -> None:
        if not isinstance(suite, PhotoSuite) or suite.name != self.suite:
            raise InputError(
                f"protocol {self.name!r} runs on suite {self.suite!r}, got "
                f"{getattr(suite, 'name', type(suite).__name__)!r}"
            )

    def with_samples(self, samples: int) -> Protocol:
        """The same recipe on fewer (or more) samples; the record says so (name gets '@<samples>')."""
        if samples < 2:
            raise InputError(f"protocol {self.name!r}: samples must be at least 2, got {samples}")
        base = self.name.split("@")[0]
        standard = PRESETS[base].samples if base in PRESETS else None
        return replace(self, name=base if samples == standard else f"{base}@{samples}", samples=samples)

    def with_encoder(self, extractor: str) -> Protocol:
        """Add the AttnGAN/DM-GAN R-precision stage, reported as "r_precision", with `extractor` (a
        registered joint image-text extractor, e.g. a DAMSM port) as its named encoder; its weights
        come from the "encoder" entry of the weights mapping. Only for protocols with CLIP-R-precision."""
        clip = [s for s in self.stages if s.prefix == "clip_" and "r_precision" in s.metrics]
        if not clip:
            raise InputError(f"protocol {self.name!r} has no R-precision; with_encoder applies to cub and oxford")
        stage = Stage(
            extractor,
            ("r_precision",),
            weights_key="encoder",
            metric_options=clip[0].metric_options,
            note=f"{ATTNGAN_RP}: true + 99 captions of other classes, 10 folds of 3,000, mean ± population "
            f"std; encoder: {extractor}",
        )
        kept = tuple(s for s in self.stages if not s.note.startswith(ATTNGAN_RP))
        return replace(self, stages=(*kept, stage))

    def record(self) -> dict[str, Any]:
        """JSON-able description for result records."""
        return {
            "protocol": self.name,
            "suite": self.suite,
            "split": self.split,
            "samples": self.samples,
            "selection": self.selection,
            "seed": self.seed,
            "summary": self.summary,
            "stages": [asdict(s) for s in self.stages],
        }


ATTNGAN_RP = "R-precision, AttnGAN/DM-GAN protocol"
_RP_OPTIONS = {"r_precision": {"candidates": 100, "folds": 10}}


def _reed(name: str, suite: str) -> Protocol:
    return Protocol(
        name=name,
        suite=suite,
        split="test",
        samples=30_000,
        selection="cycle-captions",
        seed=0,
        summary=f"{suite} test classes, 30,000 captions; FID, IS (fine-tuned Inception), CLIP-R-precision "
        "(AttnGAN/DM-GAN R-precision with a named encoder: with_encoder)",
        stages=(
            Stage(
                "inception-v3-fid",
                ("fid",),
                weights_key="inception",
                note="FID: torch-fidelity's Inception, TF1-bilinear resize to 299, every test image once as reference",
            ),
            Stage(
                "inception-v3-finetuned",
                ("is",),
                weights_key="finetuned",
                extractor_options={"suite": suite},
                metric_options={"is": {"splits": 10, "std": "population"}},
                note=f"IS: Inception fine-tuned on {suite} (user-supplied, as StackGAN), 10 splits, population std",
            ),
            Stage(
                "clip-vit-b-32",
                ("r_precision",),
                prefix="clip_",
                weights_key="clip",
                metric_options=_RP_OPTIONS,
                note="CLIP-R-precision (Park et al. 2021): true + 99 captions of other classes, 10 folds of 3,000, "
                "mean ± population std; encoder: CLIP ViT-B/32 (AttnGAN/DM-GAN's DAMSM: with_encoder)",
            ),
        ),
    )


PRESETS: dict[str, Protocol] = {
    "coco-fid30k": Protocol(
        name="coco-fid30k",
        suite="coco2014",
        split="val",
        samples=30_000,
        selection="one-caption-per-image",
        seed=0,
        summary="MS-COCO 2014 val, 30,000 seeded images with one seeded caption each; FID, KID, CLIP score",
        stages=(
            Stage(
                "inception-v3-fid",
                ("fid", "kid"),
                weights_key="inception",
                metric_options={"kid": {"subsets": 100, "subset_size": 1000}},
                note="FID and KID: torch-fidelity's Inception, TF1-bilinear resize to 299; KID 100 subsets of 1,000",
            ),
            Stage(
                "clip-vit-b-32",
                ("clip_score",),
                weights_key="clip",
                note="CLIP score: open_clip ViT-B/32 (OpenAI weights), captions as given (no prefix)",
            ),
        ),
    ),
    "cub": _reed("cub", "cub"),
    "oxford": _reed("oxford", "oxford"),
}


def list_protocols() -> dict[str, str]:
    """Preset name -> one-line summary: text -> image presets, then image -> text ones."""
    return {name: p.summary for name, p in {**PRESETS, **CAPTION_PRESETS}.items()}


def get_protocol(name: str) -> Protocol | CaptionProtocol:
    """A preset by name, of either task (InputError suggesting close names otherwise)."""
    if name in CAPTION_PRESETS:
        return CAPTION_PRESETS[name]
    if name not in PRESETS:
        raise unknown_name("protocol", name, [*PRESETS, *CAPTION_PRESETS])
    return PRESETS[name]
