"""Names of the reference generators: trainable GANs and calibration generators."""

from __future__ import annotations

from typing import Any

from baselines.base import Baseline
from baselines.dfgan import DFGAN
from baselines.gan_int_cls import GanIntCls
from baselines.stackgan import StackGAN
from xmbench.data import get_suite
from xmbench.data.base import Suite
from xmbench.errors import InputError, unknown_name
from xmbench.generator import Generator
from xmbench.text.tokenizer import WordTokenizer, words

BASELINES: dict[str, type[Baseline]] = {cls.name: cls for cls in (GanIntCls, StackGAN, DFGAN)}
CALIBRATION: dict[str, str] = {
    "real": "held-out real images for the evaluation captions (the ceiling)",
    "retrieval": "the training image whose caption is closest by TF-IDF word cosine (non-generative reference)",
    "noise": "uniform random pixels (the floor)",
}


def list_baselines() -> dict[str, str]:
    """Every generator name -> one-line summary: trainable baselines first, then calibration."""
    return {**{n: c.summary for n, c in BASELINES.items()}, **CALIBRATION}


def baseline_class(name: str) -> type[Baseline]:
    """The trainable baseline class called `name`; InputError suggesting close names otherwise."""
    if name in CALIBRATION:
        raise InputError(
            f"{name!r} is a calibration generator and needs no training; trainable baselines: {', '.join(BASELINES)}"
        )
    if name not in BASELINES:
        raise unknown_name("baseline", name, BASELINES)
    return BASELINES[name]


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
    from baselines.calibration import NoiseGenerator, RealGenerator, RetrievalGenerator

    if name not in CALIBRATION:
        raise unknown_name("calibration generator", name, CALIBRATION)
    suite = as_suite(suite)
    if name == "real":
        return RealGenerator(suite, split or suite.eval_split)
    if name == "retrieval":
        return RetrievalGenerator(suite, split or "train")
    return NoiseGenerator(suite.resolution)
