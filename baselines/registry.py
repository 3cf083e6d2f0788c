"""Names of the reference generators: trainable GANs and calibration generators."""

from __future__ import annotations

from typing import Any

from baselines.base import Baseline
from baselines.dfgan import DFGAN
from baselines.gan_int_cls import GanIntCls
from baselines.stackgan import StackGAN
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError
from xmbench.generator import Generator
from xmbench.registry import BASELINES, CALIBRATION
from xmbench.text.tokenizer import WordTokenizer, words

for _cls in (GanIntCls, StackGAN, DFGAN):
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


def list_baselines() -> dict[str, str]:
    """Every generator name -> one-line summary: trainable baselines first, then calibration."""
    return {**BASELINES.summaries(), **CALIBRATION.summaries()}


def baseline_class(name: str) -> type[Baseline]:
    """The trainable baseline class called `name`; InputError suggesting close names otherwise."""
    if name in CALIBRATION:
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
    max_len = max(len(words(c)) for c in captions) + 2
    return cls(WordTokenizer.from_captions(captions).vocab, suite.resolution, max_len, **options)


def get_calibration(name: str, suite: str | Suite = "shapes", split: str | None = None) -> Generator:
    """A calibration generator: "real" (images of `split`, default the suite's eval split),
    "retrieval" (nearest training caption's image) or "noise"."""
    return CALIBRATION.get(name).for_suite(as_suite(suite), split)
