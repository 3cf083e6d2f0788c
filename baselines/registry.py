"""Names of the reference models: trainable GANs, calibration generators, and the captioners
(registered in xmbench.registry.CAPTIONERS as factories of trained captioners; `baseline_class`
also finds the trainable captioner classes, so `xmbench train show-and-tell` works like the GANs)."""

from __future__ import annotations

import functools
from typing import Any

from baselines.base import Baseline
from baselines.captioners import TRAINABLE_CAPTIONERS, SharedLatent, TrainableCaptioner
from baselines.captioners.loading import trained_captioner
from baselines.dfgan import DFGAN
from baselines.gan_int_cls import GanIntCls
from baselines.stackgan import StackGAN
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.generator import Generator
from xmbench.registry import BASELINES, CALIBRATION, CAPTIONERS, GENERATORS

#: the trainable models: text -> image GANs, then the captioners (image -> text; the shared-latent model
#: goes both ways). A model with a `caption` method is a captioner, one with `generate` a generator.
for _cls in (GanIntCls, StackGAN, DFGAN, *TRAINABLE_CAPTIONERS.values()):
    BASELINES.register(_cls.name, _cls, summary=_cls.summary)
for _name, _target, _summary in [
    ("real", "RealGenerator", "held-out real images for the evaluation captions (the ceiling)"),
    (
        "retrieval",
        "RetrievalGenerator",
        "the training image whose caption is closest by TF-IDF word cosine (non-generative reference)",
    ),
    ("noise", "NoiseGenerator", "uniform random pixels (the floor)"),
]:
    CALIBRATION.register(_name, lazy=f"baselines.calibration:{_target}", summary=_summary)


for _name, _captioner in TRAINABLE_CAPTIONERS.items():
    CAPTIONERS.register(_name, functools.partial(trained_captioner, _name), summary=_captioner.summary)
# the shared-latent model generates images too: by name, like a user's generator
GENERATORS.register(
    SharedLatent.name, functools.partial(trained_captioner, SharedLatent.name), summary=SharedLatent.summary
)
CAPTIONERS.register(
    "retrieval",
    lazy="baselines.captioners.retrieval:RetrievalCaptioner",
    summary="the caption of the nearest training image by pixel PCA distance (non-generative reference)",
)


def list_baselines() -> dict[str, str]:
    """Every generator name -> one-line summary: trainable baselines first, then calibration."""
    return {**BASELINES.summaries(), **CALIBRATION.summaries()}


def baseline_class(name: str) -> type[Baseline] | type[TrainableCaptioner]:
    """The trainable model class called `name` (a GAN or a captioner); InputError suggesting close names otherwise."""
    if name in CALIBRATION:  # "retrieval" too: the retrieval captioner is built from the training split
        raise InputError(
            f"{name!r} is a calibration generator and needs no training; "
            f"trainable baselines: {', '.join(BASELINES.names())}"
        )
    return BASELINES.get(name)


def as_suite(suite: str | Suite, **options: Any) -> Suite:
    return get_suite(suite, **options) if isinstance(suite, str) else suite


def get_baseline(
    name: str, suite: str | Suite = "shapes", captions: list[str] | None = None, **options: Any
) -> Baseline:
    """An untrained baseline for `suite`; its vocabulary comes from `captions` (default: the suite's
    training captions). options override the baseline's DEFAULTS (e.g. loss="bce", ngf=64)."""
    cls = baseline_class(name)
    suite = as_suite(suite)
    if captions is None:
        from baselines.data import load_split

        captions = load_split(suite, "train").captions
    return cls.from_captions(captions, suite.resolution, **options)


def get_calibration(name: str, suite: str | Suite = "shapes", split: str | None = None) -> Generator:
    """A calibration generator: "real" (images of `split`, default the suite's eval split),
    "retrieval" (nearest training caption's image) or "noise"."""
    return CALIBRATION.get(name).for_suite(as_suite(suite), split)
