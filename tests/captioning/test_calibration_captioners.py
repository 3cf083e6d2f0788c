"""Calibration captioners: the real ceiling and the constant / random floors."""

from collections import Counter

import pytest
import torch

from baselines.calibration_captioners import (
    ConstantCaptioner,
    RandomCaptioner,
    RealCaptioner,
    get_calibration_captioner,
    training_captions,
)
from xmbench.captioner import check_captions
from xmbench.data.shapes import ShapesSuite
from xmbench.errors import InputError


class SmallShapes(ShapesSuite):
    """shapes with small splits, so that captioners build fast."""

    @property
    def splits(self):
        return {"train": 300, "test": 40}


@pytest.fixture(scope="module")
def small():
    return SmallShapes()


def test_real_captioner_returns_the_held_out_caption_by_image(small):
    real = RealCaptioner(small, "test")
    idx = [7, 3, 39]
    images = small.batch("test", idx).images
    assert real.caption(images, seed=0) == small.captions("test", idx) == real.captions_for(idx)
    assert real.references_for(idx) == small.references("test", idx)
    assert all(c not in r for c, r in zip(real.captions_for(range(40)), real.references_for(range(40)), strict=True))
    with pytest.raises(InputError, match="only knows images of shapes/test; image 0 is not one"):
        real.caption(torch.zeros(1, 3, 32, 32, dtype=torch.uint8), 0)


def test_constant_captioner_is_the_most_frequent_training_caption(small):
    captions = training_captions(small)
    counts = Counter(captions)
    top = max(counts.values())
    text = ConstantCaptioner(small).text
    assert counts[text] == top and text == min(c for c in counts if counts[c] == top)
    assert ConstantCaptioner(small).caption(torch.zeros(3, 3, 32, 32, dtype=torch.uint8), 5) == [text] * 3


def test_random_captioner_is_seeded_and_draws_training_captions(small):
    images = torch.zeros(50, 3, 32, 32, dtype=torch.uint8)
    rnd = RandomCaptioner(small)
    a, b = rnd.caption(images, 1), rnd.caption(images, 2)
    assert a == rnd.caption(images, 1) and a != b
    assert set(a) <= set(training_captions(small)) and len(set(a)) > 25
    assert check_captions(a, 50) == a


def test_names(small):
    assert isinstance(get_calibration_captioner("constant", small), ConstantCaptioner)
    assert get_calibration_captioner("real", small).split == "test"
    with pytest.raises(InputError, match="unknown calibration captioner 'rael'; did you mean 'real'"):
        get_calibration_captioner("rael", small)
