import numpy as np
import pytest
import torch

from xmbench.errors import InputError
from xmbench.metrics.clip_score import CLIPScore, clip_score, per_image_clip_cos
from xmbench.metrics.r_precision import RPrecision, draw_candidates, group_key, r_precision


def test_clip_score_clamps_per_image():
    img = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    txt = torch.tensor([[0.5, 0.75**0.5], [-0.5, 0.75**0.5]], dtype=torch.float64)  # cos 0.5, -0.5
    r = clip_score(img, txt)
    assert r.value == pytest.approx(25.0, rel=1e-12)  # 100·mean; torchmetrics (clamp after mean) gives 0
    assert r.hessel == pytest.approx(0.625, rel=1e-12) and r.n == 2
    assert per_image_clip_cos(img * 3, txt).tolist() == pytest.approx([0.5, 0.0])  # renormalised


def test_clip_score_streaming_equals_functional_and_is_batch_independent():
    g = torch.Generator().manual_seed(0)
    img, txt = torch.randn(300, 8, generator=g), torch.randn(300, 8, generator=g)
    m = CLIPScore()
    for a, b in zip(img.split(7), txt.split(7), strict=False):
        m.update(a, b)
    out = m.compute()
    assert set(out) == {"clip_score", "clip_score_hessel"}
    assert float(out["clip_score"]) == pytest.approx(clip_score(img, txt).value, rel=1e-12)
    with pytest.raises(InputError, match="same shape"):
        clip_score(img, txt[:10])


def _one_hot_embeddings(n_classes=20, per_class=10):
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    emb = torch.nn.functional.one_hot(labels, n_classes).double()
    return labels, emb


def test_r_precision_perfect_encoder_is_one():
    labels, emb = _one_hot_embeddings()
    r = r_precision(image_embed=emb, text_embed=emb, groups=labels, candidates=100, folds=10, seed=0)
    assert r.mean == 1.0 and r.std == 0.0 and len(r.fold_values) == 10


def test_r_precision_constant_encoder_is_one_in_hundred():
    labels, _ = _one_hot_embeddings()
    const = torch.ones(200, 4)
    r = r_precision(image_embed=const, text_embed=const, groups=labels, candidates=100, folds=10, seed=0)
    assert r.mean == pytest.approx(0.01, abs=1e-12)


def test_r_precision_random_encoder_near_chance_and_seeded():
    g = torch.Generator().manual_seed(1)
    img, txt = torch.randn(400, 16, generator=g), torch.randn(400, 16, generator=g)
    groups = torch.arange(400)
    a = r_precision(image_embed=img, text_embed=txt, groups=groups, seed=3)
    assert abs(a.mean - 0.01) < 0.02
    assert np.array_equal(a.hits, r_precision(image_embed=img, text_embed=txt, groups=groups, seed=3).hits)


def test_mismatched_candidates_come_from_other_groups():
    labels, emb = _one_hot_embeddings(n_classes=12, per_class=10)
    cand = draw_candidates(labels, 100, seed=0)
    assert (cand[:, 0] == np.arange(120)).all()
    assert (labels.numpy()[cand[:, 1:]] != labels.numpy()[:, None]).all()
    with pytest.raises(InputError, match="99 mismatched captions"):
        draw_candidates(labels[:50], 100, seed=0)


def test_group_key_uses_attribute_set_not_geometry():
    rec = {"objects": [{"shape": "circle", "colour": "red"}], "relation": None, "geometry": [{"x": 1}]}
    moved = dict(rec, geometry=[{"x": 9}])
    assert group_key("a red disk", rec) == group_key("one crimson circle", moved)
    assert group_key("a red disk") != group_key("one crimson circle")


def test_r_precision_metric_equals_functional():
    labels, emb = _one_hot_embeddings()
    noisy = emb + 0.6 * torch.randn(emb.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    m = RPrecision(seed=4)
    for a, b, c in zip(noisy.split(33), emb.split(33), labels.split(33), strict=False):
        m.update(image_embed=a, text_embed=b, groups=c)
    expected = r_precision(image_embed=noisy, text_embed=emb, groups=labels, seed=4)
    assert float(m.compute()["r_precision"]) == pytest.approx(expected.mean, rel=1e-12)
    assert float(m.compute()["r_precision_std"]) == pytest.approx(expected.std, rel=1e-12)


def test_group_key_treats_mirrored_relations_as_one_scene():
    from xmbench.metrics.r_precision import group_key

    a = {"shape": "circle", "colour": "red", "size": "small"}
    b = {"shape": "square", "colour": "blue", "size": "large"}
    left = {"objects": [a, b], "relation": "left of", "geometry": [{"x": 1}]}
    right = {"objects": [b, a], "relation": "right of", "geometry": [{"x": 2}]}
    assert group_key("x", left) == group_key("y", right)
    assert group_key("x", left) != group_key("x", {"objects": [b, a], "relation": "left of"})
    assert group_key("x", {"objects": [a], "relation": None}) != group_key("x", left)
