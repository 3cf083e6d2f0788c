"""CLIP-S, RefCLIP-S and diversity against closed forms; the caption metric registry."""

import math

import numpy as np
import pytest
import torch

from xmbench.errors import InputError
from xmbench.metrics.captioning import (
    CLIPS,
    RefCLIPS,
    clip_s,
    clip_s_per_image,
    diversity,
    refclip_s,
    refclip_s_per_image,
)
from xmbench.metrics.captioning.clip_s import with_prefix
from xmbench.metrics.captioning.registry import KNOWN_INPUTS
from xmbench.registry import CAPTION_METRICS, METRICS


def _unit(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle)]


def _t(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def test_clip_s_closed_form():
    image = _t([_unit(0.0)] * 4) * 3.0  # scale must not matter
    caption = _t([_unit(0.0), _unit(math.pi / 3), _unit(math.pi / 2), _unit(2.5)])
    assert clip_s_per_image(image, caption).tolist() == pytest.approx([2.5, 1.25, 0.0, 0.0], abs=1e-12)
    assert float(clip_s(image, caption)) == pytest.approx(3.75 / 4)


def test_refclip_s_closed_form():
    image, caption = _t([_unit(0.0), _unit(0.0)]), _t([_unit(math.pi / 3), _unit(0.0)])
    # image 0: CLIP-S 1.25, references at cos 0.8 and -0.2 -> 0.8; image 1: its only reference is opposite -> 0
    refs = _t([_unit(math.pi / 3 + math.acos(0.8)), _unit(math.pi / 3 + math.acos(-0.2)), _unit(math.pi)])
    got = refclip_s_per_image(image, caption, refs, [2, 1])
    assert got.tolist() == pytest.approx([2 * 1.25 * 0.8 / 2.05, 0.0], abs=1e-12)


def test_refclip_s_matches_a_loop_on_random_embeddings():
    g = torch.Generator().manual_seed(0)
    counts = [1, 3, 5, 2, 10, 4]
    image, caption = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    refs = torch.randn(sum(counts), 8, generator=g)
    want, start = [], 0
    for i, k in enumerate(counts):
        c = caption[i].double() / caption[i].double().norm()
        a = 2.5 * max(float(image[i].double() @ c / image[i].double().norm()), 0.0)
        b = max(max(float(c @ r.double() / r.double().norm()) for r in refs[start : start + k]), 0.0)
        want.append(2 * a * b / (a + b) if a + b > 0 else 0.0)
        start += k
    np.testing.assert_allclose(refclip_s_per_image(image, caption, refs, counts).numpy(), want, rtol=1e-12)
    assert float(refclip_s(image, caption, refs, counts)) == pytest.approx(np.mean(want), rel=1e-12)
    stream = RefCLIPS(per_image=True)
    stream.update(image[:2], caption[:2], refs[:4], counts[:2])
    stream.update(image[2:], caption[2:], refs[4:], counts[2:])
    assert float(stream.compute()) == pytest.approx(np.mean(want), rel=1e-12)
    np.testing.assert_allclose(stream.per_image_scores().numpy(), want, rtol=1e-12)
    clips = CLIPS()
    clips.update(image, caption)
    assert float(clips.compute()) == pytest.approx(float(clip_s(image, caption)), rel=1e-12)


def test_clip_s_bad_inputs_one_line():
    with pytest.raises(InputError, match="same shape"):
        clip_s(torch.zeros(2, 4), torch.zeros(3, 4))
    with pytest.raises(InputError, match="refs_per_image: 2 counts >= 1 summing to the 3 reference"):
        refclip_s(torch.eye(2), torch.eye(2), torch.zeros(3, 2), [1, 1])
    assert with_prefix(["a dog"]) == ["A photo depicts a dog"]


def test_diversity_closed_form():
    d = diversity(["A red circle.", "a red circle", "a blue square", ""], training_captions=["a red circle"])
    assert d["vocabulary"] == 5  # a red circle blue square
    assert d["distinct_1"] == pytest.approx(5 / 9)
    assert d["distinct_2"] == pytest.approx(4 / 6)  # a-red, red-circle twice; a-blue, blue-square
    assert d["unique"] == pytest.approx(3 / 4)  # tokenised, the first two are one caption
    assert d["novel"] == pytest.approx(2 / 4)
    assert "novel" not in diversity(["a b"])
    assert diversity([""])["distinct_2"] == 0.0
    with pytest.raises(InputError, match="list of caption strings"):
        diversity("a red circle")
    with pytest.raises(InputError, match="not one str"):
        diversity(["a"], training_captions="a")


def test_caption_metrics_registered_apart_from_text_to_image_metrics():
    names = {"bleu", "rouge_l", "cider_d", "meteor", "spice", "clip_s", "refclip_s", "diversity"}
    assert names <= set(CAPTION_METRICS.names())
    assert not names & set(METRICS.names())
    for name in names:
        spec = CAPTION_METRICS.get(name)
        assert spec.name == name and isinstance(spec.version, int) and spec.needs <= KNOWN_INPUTS
