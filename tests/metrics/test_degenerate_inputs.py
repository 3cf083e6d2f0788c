"""Every metric over a battery of tiny or degenerate inputs (issue 25 §2).

Each metric is run through its functional form and its torchmetrics Metric class (and, for the text ->
image metrics, the Evaluator). Every outcome is either a one-line InputError that names the metric, or
finite values equal to the closed form where there is one (FD of identical sets is 0, IS of identical
rows is 1, ...) — never a linear-algebra error, a ZeroDivisionError or a silent NaN. The function and
the class agree: both refuse, or both give the same values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from conftest import ToyExtractor, random_images

from xmbench.errors import InputError
from xmbench.metrics.attributes import AttributeAccuracy
from xmbench.metrics.bootstrap import bootstrap_ci, bootstrap_mean_ci
from xmbench.metrics.captioning import (
    BLEU,
    CLIPS,
    ROUGEL,
    CIDErD,
    RefCLIPS,
    bleu,
    cider_d,
    clip_s,
    diversity,
    meteor,
    refclip_s,
    rouge_l,
    spice,
)
from xmbench.metrics.captioning.correctness import correctness_values, judge_captions
from xmbench.metrics.captioning.diversity import diversity_of_tokens
from xmbench.metrics.captioning.retrieval import caption_retrieval
from xmbench.metrics.clip_score import CLIPScore, clip_score
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.fd import FrechetDistance, frechet_distance_features
from xmbench.metrics.fd_infinity import FDInfinity, fd_infinity
from xmbench.metrics.inception_score import InceptionScore, inception_score
from xmbench.metrics.kid import KernelInceptionDistance, kernel_inception_distance
from xmbench.metrics.prdc import PRDC, prdc
from xmbench.metrics.r_precision import RPrecision, r_precision
from xmbench.metrics.reference import ReferenceStats
from xmbench.metrics.registry import MetricContext

D = 4
Values = dict[str, float]


def _rows(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


_DISTINCT = _rows(30)
#: name -> (generated, reference); where both are one tensor the sets are identical
FEATURES: dict[str, tuple[torch.Tensor, torch.Tensor]] = {
    "empty": (torch.zeros(0, D), torch.zeros(0, D)),
    "no columns": (torch.zeros(30, 0), torch.zeros(30, 0)),
    "one sample": (_rows(1), _rows(1)),
    "one generated": (_rows(1), _DISTINCT),
    "one reference": (_DISTINCT, _rows(1)),
    "two samples": (_rows(2), _rows(2)),
    "k samples (PRDC's k_dc = 5)": (_rows(5), _rows(5)),
    "constant": (torch.ones(30, D), torch.ones(30, D)),
    "identical rows": (_rows(1).repeat(30, 1), _rows(1).repeat(30, 1)),
    "zero-variance column": (torch.cat([_DISTINCT[:, 1:], torch.zeros(30, 1)], 1),) * 2,
    "identical sets": (_DISTINCT, _DISTINCT),
}
FIXED_REFERENCE = ReferenceStats(torch.zeros(D), torch.eye(D))  # FD∞ scores against fixed statistics


def _same_rows(x: torch.Tensor) -> bool:
    return bool((x == x[:1]).all())


def _identical(g: torch.Tensor, r: torch.Tensor) -> bool:
    return g.shape == r.shape and torch.equal(g, r)


def _floats(out: dict[str, torch.Tensor]) -> Values:
    return {k: float(v) for k, v in out.items()}


def _fed(metric, *sides: tuple[torch.Tensor, dict]) -> Values:
    for x, kwargs in sides:
        metric.update(x, **kwargs)
    return _floats(metric.compute())


@dataclass(frozen=True)
class Spec:
    """A metric on (generated, reference): its label in refusals, its function and Metric class, and the
    closed form of its values on the given inputs (None: no closed form, only finite); `refuses`: the
    cases it must refuse."""

    label: str
    function: Callable[[torch.Tensor, torch.Tensor], Values]
    metric_class: Callable[[torch.Tensor, torch.Tensor], Values]
    closed: Callable[[torch.Tensor, torch.Tensor], Values | None]
    refuses: frozenset[str] = frozenset({"empty", "no columns"})


def _fd_closed(g, r):
    return {"fd": 0.0} if _identical(g, r) else None


def _fd_inf_closed(g, r):  # every subset of a set of equal rows has FD ‖x‖² + tr(I) to N(0, I)
    return {"fd_inf": float(g[0] @ g[0]) + D} if _same_rows(g) else None


def _kid_closed(g, r):  # every kernel value is the same: the unbiased MMD² is exactly 0
    return {"kid": 0.0, "kid_std": 0.0} if _identical(g, r) and _same_rows(g) else None


def _is_closed(g, r):  # every row the same distribution: p(y|x) = p(y), KL 0
    return {"is": 1.0, "is_std": 0.0} if _same_rows(g) else None


def _prdc_closed(g, r):
    if not _identical(g, r):
        return None
    if _same_rows(g):  # balls of radius 0 hold nothing for density / coverage (a point on the edge is outside)
        return {"precision": 1.0, "recall": 1.0, "density": 0.0, "coverage": 0.0}
    return {"precision": 1.0, "recall": 1.0, "coverage": 1.0}  # density: 1 up to round-off ties at the k-th


def _cos_one(g, r, values: Values) -> Values | None:
    return values if _identical(g, r) else None


def _r_precision_closed(g, r):
    if not _identical(g, r):
        return None
    return {"r_precision": 0.5 if _same_rows(g) else 1.0, "r_precision_std": 0.0}  # ties count 1/candidates


def _groups(x: torch.Tensor) -> torch.Tensor:
    return torch.arange(x.shape[0])


def _r_precision(g, r) -> Values:
    return r_precision(image_embed=g, text_embed=r, groups=_groups(g), candidates=2, folds=2).values()


def _r_precision_class(g, r) -> Values:
    metric = RPrecision(candidates=2, folds=2)
    metric.update(image_embed=g, text_embed=r, groups=_groups(g))
    return _floats(metric.compute())


def _retrieval(g, r) -> Values:
    return caption_retrieval(g, r, _groups(g), candidates=2, folds=2).values()


def _refclip_s(g, r) -> Values:
    return {"refclip_s": float(refclip_s(g, g, r, [1] * r.shape[0]))}


def _refclip_s_class(g, r) -> Values:
    metric = RefCLIPS()
    metric.update(g, g, r, [1] * r.shape[0])
    return {"refclip_s": float(metric.compute())}


def _bootstrap(g, r) -> Values:
    lo, hi = bootstrap_mean_ci(g.sum(1), resamples=20)
    return {"ci_low": lo, "ci_high": hi}


def _bootstrap_generic(g, r) -> Values:
    x = g.sum(1)
    lo, hi = bootstrap_ci(lambda idx: float(x[torch.as_tensor(idx)].mean()), x.shape[0], resamples=20)
    return {"ci_low": lo, "ci_high": hi}


def _bootstrap_closed(g, r):  # one value repeated: every resample has that mean
    return {"ci_low": float(g[0].sum()), "ci_high": float(g[0].sum())} if len(g) and _same_rows(g) else None


SPECS = {
    "fd": Spec(
        "FD",
        lambda g, r: frechet_distance_features(g, r).values(),
        lambda g, r: _fed(FrechetDistance(g.shape[1]), (g, {}), (r, {"real": True})),
        _fd_closed,
    ),
    "fd_infinity": Spec(
        "FD-infinity",
        lambda g, r: fd_infinity(g, FIXED_REFERENCE, points=3).values(),
        lambda g, r: _fed(FDInfinity(FIXED_REFERENCE, points=3), (g, {})),
        _fd_inf_closed,
    ),
    "kid": Spec(
        "KID",
        lambda g, r: kernel_inception_distance(g, r, subsets=3, subset_size=10).values(),
        lambda g, r: _fed(KernelInceptionDistance(3, 10), (g, {}), (r, {"real": True})),
        _kid_closed,
    ),
    "is": Spec(
        "IS",
        lambda g, r: inception_score(g, splits=2).values(),
        lambda g, r: _fed(InceptionScore(splits=2), (g, {})),
        _is_closed,
    ),
    "prdc": Spec(
        "PRDC",
        lambda g, r: prdc(generated=g, reference=r).values(),
        lambda g, r: _fed(PRDC(), (g, {}), (r, {"real": True})),
        _prdc_closed,
    ),
    "clip_score": Spec(
        "CLIP score",
        lambda g, r: clip_score(g, r).values(),
        lambda g, r: _floats(_clip_score_class(g, r)),
        lambda g, r: _cos_one(g, r, {"clip_score": 100.0, "clip_score_hessel": 2.5}),
    ),
    "r_precision": Spec("R-precision", _r_precision, _r_precision_class, _r_precision_closed),
    "clip_s": Spec(
        "CLIP-S",
        lambda g, r: {"clip_s": float(clip_s(g, r))},
        lambda g, r: {"clip_s": _fed(_Scalar(CLIPS()), (g, {"other": r}))["value"]},
        lambda g, r: _cos_one(g, r, {"clip_s": 2.5}),
    ),
    "refclip_s": Spec("RefCLIP-S", _refclip_s, _refclip_s_class, lambda g, r: _cos_one(g, r, {"refclip_s": 5 / 3.5})),
    "caption_r_precision": Spec("R-precision", _retrieval, _r_precision_class, _r_precision_closed),
    # per-sample values: the row sums (zeros for features without columns, a valid sample)
    "bootstrap": Spec("bootstrap", _bootstrap, _bootstrap_generic, _bootstrap_closed, frozenset({"empty"})),
}


def _clip_score_class(g, r) -> dict[str, torch.Tensor]:
    metric = CLIPScore()
    metric.update(g, r)
    return metric.compute()


class _Scalar:
    """A two-input PerImageMean (CLIP-S) fed as update(x, other=y), read as {"value": float}."""

    def __init__(self, metric) -> None:
        self.metric = metric

    def update(self, x: torch.Tensor, other: torch.Tensor) -> None:
        self.metric.update(x, other)

    def compute(self) -> dict[str, torch.Tensor]:
        return {"value": self.metric.compute()}


def _outcome(label: str, run: Callable[[], Values]) -> Values | None:
    """The values of `run()`, all finite; None when it refused in one line naming `label`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # KID's reduced subset size, FD's rank deficiency: expected here
            values = run()
    except InputError as e:
        message = str(e)
        assert "\n" not in message and label in message, message
        return None
    assert values and all(math.isfinite(v) for v in values.values()), values
    return values


@pytest.mark.parametrize("case", FEATURES)
@pytest.mark.parametrize("name", SPECS)
def test_every_metric_refuses_in_one_line_or_gives_its_closed_form(name, case):
    spec, (g, r) = SPECS[name], FEATURES[case]
    by_function = _outcome(spec.label, lambda: spec.function(g, r))
    by_class = _outcome(spec.label, lambda: spec.metric_class(g, r))
    assert (by_function is None) == (by_class is None), (by_function, by_class)
    if case in spec.refuses:
        assert by_function is None, by_function
    if by_function is None:
        return
    assert by_class == pytest.approx(by_function, abs=1e-9)
    expected = spec.closed(g, r)
    if expected is not None:
        assert {k: by_function[k] for k in expected} == pytest.approx(expected, abs=1e-6)


# -- the Evaluator: one pass per batch through every metric ---------------------------------------------
_IMAGE = random_images(1, 7)
IMAGES: dict[str, tuple[torch.Tensor, torch.Tensor]] = {
    "one image": (random_images(1, 0), random_images(30, 1)),
    "one reference image": (random_images(30, 0), random_images(1, 1)),
    "two images": (random_images(2, 0), random_images(2, 0)),
    "constant images": (torch.zeros(30, 3, 8, 8, dtype=torch.uint8),) * 2,
    "identical images": (_IMAGE.repeat(30, 1, 1, 1),) * 2,
    "identical sets": (random_images(30, 0), random_images(30, 0)),
}
OPTIONS = {
    "fd_infinity": {"points": 3},
    "kid": {"subsets": 3, "subset_size": 10},
    "is": {"splits": 2},
    "r_precision": {"candidates": 2, "folds": 2},
}
#: closed forms on identical generated and reference images: (metric, value name) -> (value, cases)
EVALUATOR_CLOSED = {
    ("fd", "fd_toy"): (0.0, {"two images", "constant images", "identical images", "identical sets"}),
    ("kid", "kid"): (0.0, {"constant images", "identical images"}),
    ("is", "is"): (1.0, {"constant images", "identical images"}),
    ("prdc", "precision"): (1.0, {"constant images", "identical images", "identical sets"}),
}


@pytest.mark.parametrize("case", IMAGES)
@pytest.mark.parametrize("name", ["fd", "fd_infinity", "kid", "is", "prdc", "clip_score", "r_precision"])
def test_the_evaluator_refuses_in_one_line_or_gives_its_closed_form(name, case):
    generated, reference = IMAGES[case]
    ev = Evaluator(ToyExtractor(), [name], bootstrap=20, options={name: OPTIONS.get(name, {})})
    ev.update_reference(reference)
    ev.update(generated, [f"caption {i % 3}" for i in range(len(generated))])
    label = SPECS[name].label
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = ev.compute()
    except InputError as e:
        message = str(e)
        assert "\n" not in message and (label in message or f"metric {name!r}" in message), message
        return
    for v in values.values():
        assert math.isfinite(v.value) and all(math.isfinite(b) for b in v.bootstrap or []), v
    for (metric, key), (value, cases) in EVALUATOR_CLOSED.items():
        if metric == name and case in cases:
            assert values[key].value == pytest.approx(value, abs=1e-6), (key, values[key])


def test_the_evaluator_names_the_metric_that_needs_more_images():
    ev = Evaluator(ToyExtractor(), ["clip_score", "prdc"], bootstrap=0)
    ev.update(random_images(5, 0), ["a"] * 5)
    with pytest.raises(InputError, match=r"^metric 'prdc' needs at least 6 generated samples, got 5; "):
        ev.compute()
    ev = Evaluator(ToyExtractor(), ["clip_score"], bootstrap=0)
    ev.update(random_images(1, 0), ["a red circle"])
    assert ev.compute()["clip_score"].n == 1  # one image is enough for a mean


# -- attribute accuracy and caption correctness (judged captions) ----------------------------------------
def test_attribute_accuracy_of_no_image_or_an_unreadable_caption_is_one_line():
    from xmbench.extractors.base import ExtractorInfo

    metric = AttributeAccuracy(MetricContext(ExtractorInfo("shapes-v1", "", 32, "none", 64), bootstrap=10))
    with pytest.raises(InputError, match="^attribute accuracy needs at least 1 image, got 0; "):
        metric.compute()
    with pytest.raises(InputError, match="^attribute accuracy of image 0: caption '' is not in the shapes grammar"):
        metric.update({"attributes": torch.zeros(1, 9), "captions": [""]})


SCENE = {"objects": [{"shape": "square", "colour": "blue", "size": "small", "position": "left"}], "relation": None}


@pytest.mark.parametrize(
    "captions, closed",
    [
        ([], None),
        (["a small blue square on the left"], {"caption_correctness": 1.0, "caption_parse_rate": 1.0}),
        ([""], {"caption_correctness": 0.0, "caption_parse_rate": 0.0}),  # unreadable: wrong, claims nothing
    ],
)
def test_caption_correctness_of_tiny_sets(captions, closed):
    values = _outcome("caption correctness", lambda: _by_name(judge_captions(captions, [SCENE] * len(captions))))
    assert (values is None) == (closed is None)
    if closed:
        assert {k: values[k] for k in closed} == closed


def _by_name(judgements) -> Values:
    values = {v.name: v.value for v in correctness_values(judgements, resamples=10)}
    return {k: v for k, v in values.items() if math.isfinite(v)}  # NaN only where nothing applies (documented)


# -- n-gram caption metrics ------------------------------------------------------------------------------
CAPTIONS: dict[str, tuple[list[str], list[list[str]], Values | None]] = {
    "no images": ([], [], None),
    "one caption": (["a red circle"], [["a red circle"]], {"rouge_l": 1.0, "cider_d": 0.0, "unique": 1.0}),
    "empty caption": ([""], [["a red circle"]], {"bleu_1": 0.0, "rouge_l": 0.0, "cider_d": 0.0, "vocabulary": 0.0}),
    "empty caption and reference": ([""], [[""]], {"bleu_4": 0.0, "rouge_l": 1.0, "cider_d": 0.0}),
    "punctuation only": (["..."], [["!"]], {"bleu_1": 0.0, "rouge_l": 1.0, "cider_d": 0.0}),  # PTB drops both
    "identical captions": (["a red circle"] * 3, [["a red circle"]] * 3, {"rouge_l": 1.0, "cider_d": 0.0}),
}


def _bleu(c, r) -> Values:
    return {f"bleu_{i + 1}": float(v) for i, v in enumerate(bleu(c, r))}


def _streamed(metric, c, r):
    metric.update(c, r)
    return metric.compute()


CAPTION_SPECS = {
    "BLEU": (_bleu, lambda c, r: {f"bleu_{i + 1}": float(v) for i, v in enumerate(_streamed(BLEU(), c, r))}),
    "ROUGE-L": (
        lambda c, r: {"rouge_l": float(rouge_l(c, r))},
        lambda c, r: {"rouge_l": float(_streamed(ROUGEL(), c, r))},
    ),
    "CIDEr-D": (
        lambda c, r: {"cider_d": float(cider_d(c, r))},
        lambda c, r: {"cider_d": float(_streamed(CIDErD(), c, r))},
    ),
    "diversity": (lambda c, r: diversity(c), lambda c, r: diversity_of_tokens([tuple(x.split()) for x in c])),
}


@pytest.mark.parametrize("case", CAPTIONS)
@pytest.mark.parametrize("label", CAPTION_SPECS)
def test_caption_metrics_refuse_in_one_line_or_give_their_closed_form(label, case):
    candidates, references, closed = CAPTIONS[case]
    function, metric_class = CAPTION_SPECS[label]
    by_function = _outcome(label, lambda: function(candidates, references))
    by_class = _outcome(label, lambda: metric_class(candidates, references))
    assert (by_function is None) == (by_class is None) == (closed is None), (by_function, by_class)
    if closed is None:
        return
    if label != "diversity":  # diversity's second form skips PTB tokenisation; the others must agree exactly
        assert by_class == pytest.approx(by_function, abs=1e-9)
    assert {k: by_function[k] for k in closed if k in by_function} == pytest.approx(
        {k: v for k, v in closed.items() if k in by_function}, abs=1e-6
    )


@pytest.mark.parametrize("label, function", [("METEOR", meteor), ("SPICE", spice)])
def test_java_caption_metrics_refuse_no_images_before_starting_java(label, function):
    with pytest.raises(InputError, match=f"^{label} needs at least 1 image, got 0; "):
        function([], [])
