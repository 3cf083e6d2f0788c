"""Caption -> image R-precision: closed forms and the protocol's direction."""

import numpy as np
import pytest
import torch

from xmbench.metrics.captioning.retrieval import caption_r_precision, caption_retrieval
from xmbench.metrics.r_precision import draw_candidates


def test_perfect_and_constant_captions():
    n = 200
    images = torch.nn.functional.normalize(torch.randn(n, 16, generator=torch.Generator().manual_seed(0)), dim=1)
    groups = torch.arange(n)
    assert caption_retrieval(images.clone(), images, groups).mean == 1.0
    # every caption the same: the query says nothing of its image, so retrieval is at chance (1/100) on average
    constant = torch.ones(n, 16)
    chance = [caption_retrieval(constant, images, groups, seed=s).mean for s in range(20)]
    assert sum(chance) / len(chance) == pytest.approx(1 / 100, abs=0.005)


def test_hits_match_a_brute_force_ranking():
    g = torch.Generator().manual_seed(3)
    n, candidates = 60, 7
    captions, images = torch.randn(n, 8, generator=g), torch.randn(n, 8, generator=g)
    groups = torch.arange(n) // 2  # pairs share a group: never each other's mismatch
    r = caption_retrieval(captions, images, groups, candidates=candidates, folds=3, seed=5)
    idx = draw_candidates(groups, candidates, 5)
    c = torch.nn.functional.normalize(captions.double(), dim=1)
    im = torch.nn.functional.normalize(images.double(), dim=1)
    expected = np.array([float(all(c[i] @ im[i] > c[i] @ im[j] for j in idx[i, 1:])) for i in range(n)])
    assert np.array_equal(r.hits, expected)
    assert all(groups[j] != groups[i] for i in range(n) for j in idx[i, 1:])


def test_the_query_is_the_caption():
    # caption 0 sits next to image 1 only: as a query it misses; had images been the queries, image 0 would hit
    images = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    captions = torch.tensor([[0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
    r = caption_retrieval(captions, images, torch.arange(3), candidates=3, folds=1)
    assert r.hits.tolist() == [0.0, 1.0, 1.0]


def test_metric_value_records_the_protocol():
    n = 120
    g = torch.Generator().manual_seed(1)
    images = torch.randn(n, 8, generator=g)
    captions = images + 0.9 * torch.randn(n, 8, generator=g)
    v = caption_r_precision(captions, images, torch.arange(n), "shapes-v1", "abc", candidates=10, resamples=200)
    assert v.name == "caption_r_precision" and v.n == n and v.higher_is_better
    assert v.ci_low <= v.value <= v.ci_high and 0.1 < v.value < 1.0
    assert v.details["encoder"] == "shapes-v1" and v.details["candidates"] == 10
    assert caption_r_precision(captions, images, torch.arange(n), "e", "h", candidates=10, resamples=0).ci_low is None


def test_shapes_evaluator_retrieves_images_from_their_captions():
    from xmbench.data.shapes import ShapesSuite
    from xmbench.extractors import get_extractor
    from xmbench.metrics.r_precision import group_key

    suite, ex = ShapesSuite(), get_extractor("shapes-v1")
    idx = list(range(300))
    batch = suite.batch("test", idx)
    image_embed = ex.images(batch.images)["image_embed"]
    groups = torch.tensor([group_key(c, r) for c, r in zip(batch.captions, suite.records("test", idx), strict=True)])
    own = caption_retrieval(ex.text([refs[0] for refs in suite.references("test", idx)]), image_embed, groups)
    wrong = caption_retrieval(ex.text(batch.captions[1:] + batch.captions[:1]), image_embed, groups)
    assert own.mean > 0.8 and wrong.mean < 0.1, (own.mean, wrong.mean)
