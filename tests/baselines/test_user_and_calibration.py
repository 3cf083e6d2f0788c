"""Loading a user's model by import path; the calibration generators."""

import sys
import textwrap

import pytest
import torch

from baselines.calibration import NoiseGenerator, RealGenerator, RetrievalGenerator
from xmbench.errors import InputError
from xmbench.generator import load_generator

TOY = """
import torch

class Toy:
    def __init__(self, size=32, dtype=torch.uint8, extra=0):
        self.size, self.dtype, self.extra = size, dtype, extra

    def generate(self, captions, seed):
        g = torch.Generator().manual_seed(seed)
        x = torch.randint(0, 256, (len(captions) + self.extra, 3, self.size, self.size), generator=g)
        return x.to(self.dtype)

def make(**kw):
    return Toy(**kw)

def broken():
    return 42

NOT_CALLABLE = 3
"""


@pytest.fixture
def toy_module(tmp_path, monkeypatch):
    (tmp_path / "toy_gen_mod.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "toy_gen_mod"
    sys.modules.pop("toy_gen_mod", None)


def test_import_path_loads_and_checks(toy_module):
    gen = load_generator(f"{toy_module}:make", resolution=32)
    out = gen.generate(["a", "b"], seed=1)
    assert out.shape == (2, 3, 32, 32) and out.dtype == torch.uint8
    assert torch.equal(out, load_generator(f"{toy_module}:Toy").generate(["a", "b"], seed=1))


@pytest.mark.parametrize(
    "spec, kwargs, message",
    [
        ("no_such_module_xyz:make", {}, "cannot import module 'no_such_module_xyz'"),
        ("{m}:nope", {}, "has no attribute 'nope'"),
        ("{m}:NOT_CALLABLE", {}, "is a int, not callable"),
        ("{m}:broken", {}, "returned a int without a generate"),
        ("not_an_entry_point_xyz", {}, "unknown generator"),
    ],
)
def test_bad_import_paths(toy_module, spec, kwargs, message):
    with pytest.raises(InputError, match=message):
        load_generator(spec.format(m=toy_module), **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dtype": torch.float32}, "returned torch.float32"),
        ({"size": 16}, r"returned \(16, 16\) images; the suite is 32x32"),
        ({"extra": 1}, "returned 3 images for 2 captions"),
    ],
)
def test_wrong_outputs_are_one_line_errors(toy_module, kwargs, message):
    gen = load_generator(f"{toy_module}:make", resolution=32, **kwargs)
    with pytest.raises(InputError, match=message) as info:
        gen.generate(["a", "b"], seed=0)
    assert "\n" not in str(info.value)


def test_real_generator_returns_the_split_images(suite):
    real = RealGenerator(suite, "val")
    captions = suite.captions("val", [5, 0, 17])
    out = real.generate(captions, seed=0)
    assert torch.equal(out, suite.batch("val", [5, 0, 17]).images)
    with pytest.raises(InputError, match="only knows captions"):
        real.generate(["a caption from nowhere"], seed=0)


def test_retrieval_finds_exact_and_nearest_captions(suite):
    gen = RetrievalGenerator(suite, "train", limit=200)
    caps = gen.data.captions
    assert gen.nearest([caps[7], caps[123]]).tolist() == [7, 123]
    # a paraphrase with one word changed still lands on a caption sharing the rest
    words = caps[7].split()
    idx = gen.nearest([" ".join(words[:-1] + ["zzz"])]).item()
    assert set(caps[idx].split()) & set(words[:-1])
    out = gen.generate([caps[3]], seed=0)
    assert torch.equal(out[0], gen.data.images[3])


def test_noise_generator_is_seeded_and_batch_independent():
    gen = NoiseGenerator(32)
    a = gen.generate(["x"] * 4, seed=2)
    assert a.dtype == torch.uint8 and a.shape == (4, 3, 32, 32)
    assert torch.equal(a[:2], gen.generate(["y"] * 2, seed=2))
    assert not torch.equal(a, gen.generate(["x"] * 4, seed=3))
    assert 100 < a.float().mean().item() < 155
