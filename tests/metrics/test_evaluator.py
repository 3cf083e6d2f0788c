import json

import pytest
import torch
from conftest import ToyExtractor, random_images

from xmbench.errors import InputError
from xmbench.metrics import MetricValue, get_metric_spec, list_metrics, register_metric
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.fd import RankDeficientWarning, frechet_distance_features
from xmbench.metrics.reference import ReferenceStats

ALL = ["fd", "kid", "is", "clip_score", "r_precision", "prdc", "fd_infinity"]
CAPTIONS = [f"a caption about thing {i % 40}" for i in range(400)]
GENERATED = random_images(400, 100) // 2 + 60


def _run(ext, metrics, bootstrap=50, batch=100, **kw):
    ev = Evaluator(ext, metrics, bootstrap=bootstrap, options={"kid": {"subsets": 10, "subset_size": 100}}, **kw)
    for i in range(4):
        ev.update_reference(random_images(100, i))
    for i in range(0, 400, batch):
        ev.update(GENERATED[i : i + batch], CAPTIONS[i : i + batch])
    return ev


def test_one_extractor_pass_per_batch_feeds_every_metric(toy):
    ev = _run(toy, ALL)
    values = ev.compute()
    assert toy.image_calls == 8 and toy.text_calls == 4
    assert set(values) == {
        "fd_toy",
        "kid",
        "is",
        "clip_score",
        "clip_score_hessel",
        "r_precision",
        "precision",
        "recall",
        "density",
        "coverage",
        "fd_toy_inf",
    }
    for v in values.values():
        assert v.n == 400 and v.ci_low is not None and v.ci_low <= v.ci_high
        assert MetricValue.from_dict(json.loads(json.dumps(v.to_dict()))) == v
        if v.name != "fd_toy_inf":  # FD-infinity's CI comes from its fit, not from replicates
            assert len(v.bootstrap) == 50 and v.details["resamples"] == 50
            assert sum(v.ci_low <= b <= v.ci_high for b in v.bootstrap) >= 0.9 * 50
    assert values["r_precision"].details["encoder"] == "toy-v1"
    assert values["clip_score"].details["encoder"] == "toy-v1"
    assert values["clip_score_hessel"].value == pytest.approx(values["clip_score"].value * 0.025)
    assert "generated side resampled" in values["fd_toy"].details["ci"]


def test_fd_value_equals_functional_and_batch_size_does_not_matter(toy):
    gen = toy.images(GENERATED)["features"]
    real = torch.cat([toy.images(random_images(100, i))["features"] for i in range(4)])
    expected = frechet_distance_features(gen, real).value
    a = _run(ToyExtractor(), ["fd"], bootstrap=0).compute()["fd_toy"]
    b = _run(ToyExtractor(), ["fd"], bootstrap=0, batch=25).compute()["fd_toy"]
    assert a.value == pytest.approx(expected, rel=1e-9) and b.value == pytest.approx(a.value, rel=1e-9)
    assert a.ci_low is None and a.bootstrap is None and "bootstrap" not in a.to_dict()


def test_fixed_reference_statistics_and_naming(toy, tmp_path):
    ev = _run(toy, ["fd"], bootstrap=0)
    ev.reference_stats().save(tmp_path / "ref.npz")
    ref = ReferenceStats.load(tmp_path / "ref.npz")
    ev2 = Evaluator(ToyExtractor(), ["fd"], reference=ref, bootstrap=0)
    ev2.update(GENERATED)
    assert ev2.compute()["fd_toy"].value == pytest.approx(ev.compute()["fd_toy"].value, rel=1e-9)
    with pytest.raises(InputError, match="reported as 'fd_toy'"):
        Evaluator(toy, ["fid"])
    with pytest.raises(InputError, match="extractor 'toy-v1', not 'toy-v2'"):
        Evaluator(ToyExtractor(ident="toy-v2"), ["fd"], reference=ref)
    with pytest.raises(InputError, match="did you mean 'kid'"):
        Evaluator(toy, ["kidd"])


def test_bad_image_inputs_raise_one_line_errors(toy):
    ev = Evaluator(toy, ["fd"], bootstrap=0)
    bad = {
        "float32; pass uint8": torch.rand(4, 3, 8, 8),
        "NHWC": torch.zeros(4, 8, 8, 3, dtype=torch.uint8),
        "3 channels": torch.zeros(4, 1, 8, 8, dtype=torch.uint8),
    }
    for message, images in bad.items():
        with pytest.raises(InputError, match=message):
            ev.update(images)
    ev_float = Evaluator(toy, ["fd"], bootstrap=0, float_input=True)
    for message, images in {
        "down to -1": torch.linspace(-1, 1, 768).reshape(4, 3, 8, 8),
        "up to 2": torch.linspace(0, 2, 768).reshape(4, 3, 8, 8),
        "NaN": torch.full((4, 3, 8, 8), float("nan")),
    }.items():
        with pytest.raises(InputError, match=message) as info:
            ev_float.update(images)
        assert "\n" not in str(info.value)
    ev_float.update(torch.rand(4, 3, 8, 8))  # valid float input is accepted
    assert ev_float.n_generated == 4 and toy.image_calls == 1


def test_sample_and_caption_counts(toy):
    ev = Evaluator(toy, ["fd", "clip_score"], bootstrap=0)
    with pytest.raises(InputError, match="3 captions for 4 images"):
        ev.update(random_images(4, 0), ["a", "b", "c"])
    with pytest.raises(InputError, match="need the captions"):
        ev.update(random_images(4, 0))
    with pytest.raises(InputError, match="attribute records for 4 images"):
        ev.update(random_images(4, 0), ["a"] * 4, attributes=[{}])
    ev.update(random_images(1, 0), ["a"])
    with pytest.raises(InputError, match="at least 2 generated samples, got 1"):
        ev.compute()
    assert toy.image_calls == 1  # nothing was extracted for the refused batches


def test_missing_reference_and_rank_deficient_warning(toy):
    ev = Evaluator(toy, ["fd"], bootstrap=0)
    ev.update(random_images(8, 0))
    with pytest.raises(InputError, match="needs a reference"):
        ev.compute()
    ev.update_reference(random_images(40, 1))
    with pytest.warns(RankDeficientWarning, match="8 generated samples < feature dimension 16"):
        ev.compute()


def test_metric_needing_an_output_the_extractor_lacks(toy):
    toy.info = type(toy.info)(**{**toy.info.__dict__, "yields": frozenset({"features"})})
    with pytest.raises(InputError, match=r"needs \['image_embed', 'text'\]"):
        Evaluator(toy, ["clip_score"])
    with pytest.raises(InputError, match=r"needs \['logits'\]"):
        Evaluator(toy, ["is"])


def test_registry_contract():
    assert {"fd", "kid", "is", "clip_score", "r_precision", "prdc", "fd_infinity"} <= set(list_metrics())
    assert list_metrics()["clip_score"] == frozenset({"image_embed", "text_embed"})
    with pytest.raises(InputError, match="unknown inputs"):
        register_metric("bogus", lambda ctx: None, frozenset({"pixels"}))
    assert get_metric_spec("prdc").needs == frozenset({"features"})
    with pytest.raises(InputError, match="version must be an int"):
        register_metric("bogus", lambda ctx: None, frozenset({"features"}), version=0)
