"""The Captioner contract: loading by import path, output checks, the token cap."""

import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

from xmbench.captioner import MAX_CAPTION_TOKENS, Captioner, check_captions, load_captioner
from xmbench.errors import InputError

TOY = """
import torch

class Toy:
    def __init__(self, out="list", words=3):
        self.out, self.words = out, words

    def caption(self, images, seed):
        g = torch.Generator().manual_seed(seed)
        caps = [" ".join(f"w{int(v)}" for v in torch.randint(0, 9, (self.words,), generator=g)) for _ in images]
        return {"list": caps, "tuple": tuple(caps), "str": "one", "short": caps[:-1], "none": [None] * len(caps),
                "empty": [""] * len(caps)}[self.out]

def make(**kw):
    return Toy(**kw)

def broken():
    return 42

NOT_CALLABLE = 3
"""

IMAGES = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)


@pytest.fixture
def toy_module(tmp_path, monkeypatch):
    (tmp_path / "toy_cap_mod.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "toy_cap_mod"
    sys.modules.pop("toy_cap_mod", None)


def test_import_path_loads_checks_and_is_deterministic(toy_module):
    cap = load_captioner(f"{toy_module}:make")
    out = cap.caption(IMAGES, seed=3)
    assert len(out) == 2 and all(isinstance(c, str) and len(c.split()) == 3 for c in out)
    assert out == load_captioner(f"{toy_module}:Toy").caption(IMAGES, seed=3)
    assert out != cap.caption(IMAGES, seed=4)
    assert isinstance(cap.inner, Captioner)


def test_tuple_and_empty_captions_are_valid(toy_module):
    assert load_captioner(f"{toy_module}:make", out="tuple").caption(IMAGES, 0) == list(
        load_captioner(f"{toy_module}:make").caption(IMAGES, 0)
    )
    assert load_captioner(f"{toy_module}:make", out="empty").caption(IMAGES, 0) == ["", ""]


@pytest.mark.parametrize(
    "spec, kwargs, message",
    [
        ("no_such_module_xyz:make", {}, "cannot import module 'no_such_module_xyz' of captioner"),
        ("{m}:nope", {}, "has no attribute 'nope'"),
        ("{m}:NOT_CALLABLE", {}, "is a int, not callable"),
        ("{m}:broken", {}, r"returned a int without a caption\(images, seed\) method"),
        ("not_an_entry_point_xyz", {}, "unknown captioner"),
    ],
)
def test_bad_import_paths(toy_module, spec, kwargs, message):
    with pytest.raises(InputError, match=message) as info:
        load_captioner(spec.format(m=toy_module), **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "out, message",
    [
        ("str", "returned str; it must return a list of str"),
        ("short", "returned 1 captions for 2 images"),
        ("none", "returned NoneType for image 0"),
    ],
)
def test_wrong_outputs_are_one_line_errors(toy_module, out, message):
    cap = load_captioner(f"{toy_module}:make", out=out)
    with pytest.raises(InputError, match=message) as info:
        cap.caption(IMAGES, seed=0)
    assert "\n" not in str(info.value)


def test_bad_images_are_rejected_before_the_model_runs(toy_module):
    with pytest.raises(InputError, match="look NHWC"):
        load_captioner(f"{toy_module}:make").caption(torch.zeros(2, 8, 8, 3, dtype=torch.uint8), 0)


def test_long_captions_are_cut_with_one_warning():
    long = " ".join(f"w{i}" for i in range(MAX_CAPTION_TOKENS + 10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = check_captions([long, "short one", long], 3, "toy")
    assert [len(c.split()) for c in out] == [MAX_CAPTION_TOKENS, 2, MAX_CAPTION_TOKENS]
    assert out[0] == " ".join(f"w{i}" for i in range(MAX_CAPTION_TOKENS))
    assert len(caught) == 1 and "2 of 3 captions" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_captions(["a " * MAX_CAPTION_TOKENS], 1)


@pytest.mark.slow
def test_entry_point_group_is_searched(tmp_path):
    dist = tmp_path / "toy_ep-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-ep\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[xmbench.captioners]\ntoy = toy_ep_mod:Toy\n")
    (tmp_path / "toy_ep_mod.py").write_text(
        "class Toy:\n    def caption(self, images, seed):\n        return ['entry point'] * len(images)\n"
    )
    code = (
        "import torch; from xmbench.captioner import load_captioner; "
        "print(load_captioner('toy').caption(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), 0))"
    )
    env_path = f"{tmp_path}:{':'.join(sys.path)}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": env_path}, check=True
    )
    assert out.stdout.strip() == "['entry point']"
