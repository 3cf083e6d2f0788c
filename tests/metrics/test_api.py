"""The API table holds: argument order, one scale per name, one return type per family, one seed
default, NaN / Inf refused everywhere, ReferenceStats defaults, versions and directions on every spec."""

import inspect

import pytest
import torch
import torch_fidelity.defaults
from conftest import ToyExtractor, random_images
from toy_shapes import ToyShapes

from xmbench.errors import InputError
from xmbench.metrics import clip_score as clip_module
from xmbench.metrics import fd as fd_module
from xmbench.metrics import fd_infinity as fdinf_module
from xmbench.metrics import inception_score as is_module
from xmbench.metrics import kid as kid_module
from xmbench.metrics import prdc as prdc_module
from xmbench.metrics import r_precision as rp_module
from xmbench.metrics import registry
from xmbench.metrics.bootstrap import bootstrap_ci, bootstrap_mean_ci, bootstrap_mean_values, bootstrap_values
from xmbench.metrics.defaults import DEFAULT_SEED
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.fd import stats_from_features
from xmbench.metrics.reference import ReferenceStats
from xmbench.metrics.result import MetricResult
from xmbench.sanity.ladder import LadderConfig, measure

MODULES = (fd_module, fdinf_module, kid_module, is_module, clip_module, rp_module, prdc_module)
FUNCTIONS = (
    fd_module.frechet_distance_features,
    kid_module.kernel_inception_distance,
    is_module.inception_score,
    clip_module.clip_score,
    rp_module.r_precision,
    prdc_module.prdc,
    fdinf_module.fd_infinity,
)
CLASSES = (
    fd_module.FrechetDistance,
    kid_module.KernelInceptionDistance,
    is_module.InceptionScore,
    clip_module.CLIPScore,
    rp_module.RPrecision,
    prdc_module.PRDC,
    fdinf_module.FDInfinity,
)
N = 120
CAPTIONS = [f"caption {i % 30}" for i in range(N)]


@pytest.fixture(scope="module")
def data():
    toy = ToyExtractor()
    gen, real = toy.images(random_images(N, 1) // 2 + 50), toy.images(random_images(N, 2))
    return {"gen": gen, "real": real, "text": toy.text(CAPTIONS), "groups": torch.arange(N) % 30}


def _evaluate(metrics, options=None, extractor=None):
    ev = Evaluator(extractor or ToyExtractor(), metrics, bootstrap=0, options=options or {})
    ev.update_reference(random_images(N, 2))
    ev.update(random_images(N, 1) // 2 + 50, CAPTIONS)
    return {k: v.value for k, v in ev.compute().items()}


# -- argument order ---------------------------------------------------------------------------------------
def test_functional_metrics_take_generated_then_reference_keyword_only_where_a_swap_is_silent():
    for fn in FUNCTIONS:
        params = list(inspect.signature(fn).parameters.values())
        names = [p.name for p in params[:2]]
        assert names in (["generated", "reference"], ["image_embed", "text_embed"], ["logits", "splits"]), fn
    # a swap of PRDC's sides swaps precision with recall; of R-precision's, the retrieval direction
    for fn in (prdc_module.prdc, rp_module.r_precision):
        first = next(iter(inspect.signature(fn).parameters.values()))
        assert first.kind is inspect.Parameter.KEYWORD_ONLY, fn


def test_kid_generated_side_is_drawn_first_as_in_torch_fidelity(data):
    # torch-fidelity draws generated indices first: the same call with the sides swapped draws other subsets
    a = kid_module.kernel_inception_distance(
        data["gen"]["features"], data["real"]["features"], subsets=5, subset_size=50
    )
    b = kid_module.kernel_inception_distance(
        data["real"]["features"], data["gen"]["features"], subsets=5, subset_size=50
    )
    assert a.mean != b.mean


# -- one scale per name -------------------------------------------------------------------------------------
def test_evaluator_metric_class_and_function_give_the_same_number_on_one_scale(data):
    g, r, text = data["gen"], data["real"], data["text"]
    values = _evaluate(
        ["fd", "kid", "is", "clip_score", "r_precision", "prdc"],
        {"kid": {"subsets": 5, "subset_size": 50}, "r_precision": {"candidates": 20, "folds": 4}},
    )
    ref = ReferenceStats(*stats_from_features(r["features"]), N)
    functional = {
        "fd_toy": fd_module.frechet_distance_features(g["features"], ref).value,
        "kid": kid_module.kernel_inception_distance(g["features"], r["features"], subsets=5, subset_size=50).mean,
        "is": is_module.inception_score(g["logits"]).mean,
        **clip_module.clip_score(g["image_embed"], text).values(),
        "r_precision": rp_module.r_precision(
            image_embed=g["image_embed"],
            text_embed=text,
            groups=torch.tensor([rp_module.group_key(c) for c in CAPTIONS]),
            candidates=20,
            folds=4,
        ).mean,
        **prdc_module.prdc(generated=g["features"], reference=r["features"]).values(),
    }
    for name, expected in functional.items():
        assert values[name] == pytest.approx(expected, rel=1e-9), name
    clip = clip_module.CLIPScore()
    clip.update(g["image_embed"], text)
    assert float(clip.compute()["clip_score"]) == pytest.approx(values["clip_score"], rel=1e-12)
    cos = torch.nn.functional.cosine_similarity(g["image_embed"].double(), text.double()).clamp_min(0).mean()
    assert values["clip_score"] == pytest.approx(100 * float(cos), rel=1e-9)  # 100·mean max(cos, 0)
    assert values["clip_score_hessel"] == pytest.approx(2.5 * float(cos), rel=1e-9)


@pytest.mark.filterwarnings("ignore:.*rank-deficient")
def test_the_sanity_ladder_reports_clip_score_on_the_records_scale():
    images = random_images(40, 3)
    batch = __import__("xmbench.data", fromlist=["get_suite"]).get_suite("shapes").batch("test", range(40))
    extractor = ToyShapes()
    ref = ReferenceStats(*stats_from_features(extractor.images(random_images(40, 4))["features"]), 40)
    ladder, _ = measure(
        extractor, images, list(batch.captions), list(batch.attributes), ref, LadderConfig(r_candidates=10)
    )
    ev = Evaluator(ToyShapes(), ["clip_score"], bootstrap=0)
    ev.update(images, list(batch.captions))
    assert ladder["clip_score"] == pytest.approx(ev.compute()["clip_score"].value, rel=1e-9)
    assert 1 < ladder["clip_score"] <= 100


def test_scales_are_recorded_for_the_leaderboard_headers():
    ev = Evaluator(
        ToyExtractor(),
        ["kid", "clip_score", "r_precision"],
        bootstrap=0,
        options={"kid": {"subsets": 2, "subset_size": 50}, "r_precision": {"candidates": 20, "folds": 4}},
    )
    ev.update_reference(random_images(N, 2))
    ev.update(random_images(N, 1), CAPTIONS)
    scales = {k: v.details.get("scale") for k, v in ev.compute().items()}
    assert scales == {
        "kid": "MMD² ×1",
        "clip_score": "100·cos",
        "clip_score_hessel": "2.5·cos",
        "r_precision": "fraction",
    }


# -- one return type per family -----------------------------------------------------------------------------
def test_functions_return_results_and_classes_return_dicts_of_float64_scalars(data):
    g, r, text = data["gen"], data["real"], data["text"]
    ref = ReferenceStats(*stats_from_features(r["features"]), N)
    calls = {
        fd_module.FrechetDistance(16, reference=ref): ((g["features"],), {}),
        kid_module.KernelInceptionDistance(subsets=3, subset_size=50): ((g["features"],), {}),
        is_module.InceptionScore(): ((g["logits"],), {}),
        clip_module.CLIPScore(): ((g["image_embed"], text), {}),
        rp_module.RPrecision(candidates=20, folds=4): (
            (),
            {"image_embed": g["image_embed"], "text_embed": text, "groups": data["groups"]},
        ),
        prdc_module.PRDC(): ((g["features"],), {}),
        fdinf_module.FDInfinity(ref, points=4): ((g["features"],), {}),
    }
    for metric, (args, kwargs) in calls.items():
        metric.update(*args, **kwargs)
        if isinstance(metric, kid_module.KernelInceptionDistance | prdc_module.PRDC):
            metric.update(r["features"], real=True)
        result, computed = metric.result(), metric.compute()
        assert isinstance(result, MetricResult), type(metric)
        assert set(computed) == set(result.values()), type(metric)
        for name, t in computed.items():
            assert t.dtype == torch.float64 and t.ndim == 0 and float(t) == result.values()[name], name


# -- one seed default ----------------------------------------------------------------------------------------
def test_every_seed_defaults_to_2020_torch_fidelitys():
    assert DEFAULT_SEED == 2020 == torch_fidelity.defaults.DEFAULTS["rng_seed"]
    targets = [*FUNCTIONS, *(c.__init__ for c in CLASSES), Evaluator.__init__, registry.MetricContext]
    targets += [bootstrap_ci, bootstrap_mean_ci, bootstrap_mean_values, bootstrap_values]
    targets += [kid_module.kid_bootstrap, kid_module.subset_indices, rp_module.draw_candidates]
    seeded = 0
    for target in targets:
        param = inspect.signature(target).parameters.get("seed")
        if param is not None:
            assert param.default == DEFAULT_SEED, target
            seeded += 1
    assert seeded >= 15


# -- NaN / Inf refused ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_every_function_and_class_refuses_non_finite_features_in_one_line(bad):
    x = torch.randn(60, 4, generator=torch.Generator().manual_seed(0))
    y = x.clone()
    y[3, 1] = bad
    ref = ReferenceStats(torch.zeros(4), torch.eye(4))
    attempts = {
        "fd": lambda: fd_module.frechet_distance_features(y, x),
        "fd ref side": lambda: fd_module.frechet_distance_features(x, y),
        "kid": lambda: kid_module.kernel_inception_distance(y, x, subsets=2, subset_size=10),
        "kid ref side": lambda: kid_module.kernel_inception_distance(x, y, subsets=2, subset_size=10),
        "is": lambda: is_module.inception_score(y, splits=2),
        "clip": lambda: clip_module.clip_score(y, x),
        "r_precision": lambda: rp_module.r_precision(
            image_embed=x, text_embed=y, groups=torch.arange(60), candidates=5
        ),
        "prdc": lambda: prdc_module.prdc(generated=y, reference=x),
        "prdc ref side": lambda: prdc_module.prdc(generated=x, reference=y),
        "fd_infinity": lambda: fdinf_module.fd_infinity(y, ref, points=3),
        "FrechetDistance": lambda: fd_module.FrechetDistance(4).update(y),
        "KernelInceptionDistance": lambda: kid_module.KernelInceptionDistance().update(y, real=True),
        "InceptionScore": lambda: is_module.InceptionScore().update(y),
        "CLIPScore": lambda: clip_module.CLIPScore().update(x, y),
        "RPrecision": lambda: rp_module.RPrecision().update(image_embed=y, text_embed=x, groups=torch.arange(60)),
        "PRDC": lambda: prdc_module.PRDC().update(y),
        "FDInfinity": lambda: fdinf_module.FDInfinity(ref).update(y),
    }
    for name, attempt in attempts.items():
        with pytest.raises(InputError, match="NaN or Inf") as info:
            attempt()
        assert "\n" not in str(info.value), name


def test_the_evaluator_refuses_non_finite_features_before_any_metric_state_changes():
    class Broken(ToyExtractor):
        def images(self, images):
            out = super().images(images)
            out["features"][0, 0] = float("nan")
            return out

    ev = Evaluator(Broken(), ["fd", "kid", "prdc"], bootstrap=0)
    with pytest.raises(InputError, match="NaN or Inf"):
        ev.update(random_images(8, 0))
    assert ev.n_generated == 0


# -- ReferenceStats defaults, versions, directions ----------------------------------------------------------
def test_reference_stats_need_only_mu_and_sigma():
    ref = ReferenceStats(torch.zeros(3), 2 * torch.eye(3))
    assert (ref.count, ref.extractor_id, ref.weights_hash) == (0, "unknown", "unknown")
    assert fd_module.frechet_distance_features(torch.randn(50, 3), ref).reference_count == 0


def test_every_metric_spec_carries_a_version_and_its_direction():
    directions = {"fd": False, "fd_infinity": False, "kid": False, "is": True, "clip_score": True}
    directions |= {"r_precision": True, "prdc": True, "attribute_accuracy": True}
    for name, higher in directions.items():
        spec = registry.get_metric_spec(name)
        assert isinstance(spec.version, int) and spec.version >= 1, name
        assert spec.higher_is_better is higher, name
    assert registry.get_metric_spec("prdc").version == 2  # density / coverage ties changed (see prdc.py)
    for name in registry.list_metrics():
        spec = registry.get_metric_spec(name)
        assert isinstance(spec.version, int) and isinstance(spec.higher_is_better, bool), name
    values = Evaluator(ToyExtractor(), ["fd"], bootstrap=0)
    assert values.metrics["fd"].higher_is_better is False


@pytest.mark.filterwarnings("ignore:.*rank-deficient")
def test_every_reported_value_carries_its_specs_direction():
    batch = __import__("xmbench.data", fromlist=["get_suite"]).get_suite("shapes").batch("test", range(N))
    names = ["fd", "fd_infinity", "kid", "is", "clip_score", "r_precision", "prdc", "attribute_accuracy"]
    options = {"kid": {"subsets": 2, "subset_size": 50}, "r_precision": {"candidates": 20, "folds": 4}}
    ev = Evaluator(ToyShapes(), names, bootstrap=0, options=options)
    ev.update_reference(random_images(N, 2))
    ev.update(random_images(N, 1), list(batch.captions), list(batch.attributes))
    reported = {v.name: v.higher_is_better for v in ev.compute().values()}
    assert len(reported) == 18  # 11 text-image values + attribute_accuracy and its 6 attributes
    for name, adapter in ev.metrics.items():
        spec = registry.get_metric_spec(name)
        assert all(reported[v.name] is spec.higher_is_better for v in adapter.compute()), name


def test_one_name_per_concept_old_names_warn():
    """text_embed and per_image everywhere; the old caption_embed / keep_per_image still work for a release."""
    from xmbench.metrics.captioning.clip_s import clip_s
    from xmbench.metrics.captioning.retrieval import caption_retrieval
    from xmbench.metrics.clip_score import CLIPScore

    g = torch.Generator().manual_seed(0)
    images, texts = torch.randn(20, 8, generator=g), torch.randn(20, 8, generator=g)
    with pytest.warns(DeprecationWarning, match="'caption_embed' is deprecated; use 'text_embed'"):
        old = clip_s(images, caption_embed=texts)
    assert old == clip_s(images, text_embed=texts)
    with pytest.warns(DeprecationWarning, match="'keep_per_image' is deprecated; use 'per_image'"):
        assert CLIPScore(keep_per_image=True).per_image
    with pytest.raises(TypeError, match="not both"):
        caption_retrieval(text_embed=texts, caption_embed=texts, image_embed=images, groups=torch.arange(20))
