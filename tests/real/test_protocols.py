import numpy as np
import pytest
import torch
import torch.nn.functional as F
from real_layouts import make_coco, make_cub

from xmbench.data import get_suite
from xmbench.errors import InputError
from xmbench.extractors import register_extractor
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.protocols import Stage, evaluate_protocol, get_protocol, list_protocols


def test_presets_and_their_recipes():
    assert set(list_protocols()) == {"coco-fid30k", "cub", "oxford", "coco-karpathy"}
    coco = get_protocol("coco-fid30k")
    assert (coco.suite, coco.split, coco.samples, coco.selection) == (
        "coco2014",
        "val",
        30_000,
        "one-caption-per-image",
    )
    assert [(s.extractor, s.metrics) for s in coco.stages] == [
        ("inception-v3-fid", ("fid", "kid")),
        ("clip-vit-b-32", ("clip_score",)),
    ]
    cub = get_protocol("cub")
    assert [(s.extractor, s.metrics, s.prefix) for s in cub.stages] == [
        ("inception-v3-fid", ("fid",), ""),
        ("inception-v3-finetuned", ("is",), ""),
        ("clip-vit-b-32", ("r_precision",), "clip_"),
    ]
    assert cub.stages[2].metric_options == {"r_precision": {"candidates": 100, "folds": 10}}
    damsm = cub.with_encoder("damsm-port")
    assert damsm.stages[-1].extractor == "damsm-port" and "encoder: damsm-port" in damsm.stages[-1].note
    with pytest.raises(InputError, match="with_encoder applies to cub and oxford"):
        coco.with_encoder("damsm-port")
    with pytest.raises(InputError, match="unknown protocol 'coco-fid3k'; did you mean 'coco-fid30k'"):
        get_protocol("coco-fid3k")


def test_cycle_selection_covers_every_caption_before_repeating(tmp_path):
    suite = get_suite("cub", root=make_cub(tmp_path, per_class=3), resolution=8)  # 3 test images, 30 captions
    p = get_protocol("cub").with_samples(45)
    assert p.name == "cub@45"
    idx = p.caption_indices(suite)
    assert len(idx) == 45 and sorted(idx[:30]) == list(range(30)) and len(set(idx[30:])) == 15
    assert idx == p.caption_indices(suite) and idx[:30] != list(range(30))
    assert p.reference_indices(suite) == [0, 10, 20]
    assert p.record()["samples"] == 45 and get_protocol("cub").with_samples(30_000).name == "cub"


def test_coco_selection_is_distinct_images_one_caption_each(tmp_path):
    suite = get_suite("coco2014", root=make_coco(tmp_path, n_val=6), resolution=8)
    p = get_protocol("coco-fid30k").with_samples(4)
    idx = p.caption_indices(suite)
    images = [suite.locate("val", i)[0] for i in idx]
    assert len(set(images)) == 4 and images == sorted(images)
    assert p.reference_indices(suite) == [suite.image_indices("val")[k] for k in images]
    assert idx == p.caption_indices(suite)
    with pytest.raises(InputError, match=r"draws 7 distinct images from coco2014/val, which has 6"):
        get_protocol("coco-fid30k").with_samples(7).caption_indices(suite)
    with pytest.raises(InputError, match=r"runs on suite 'coco2014', got 'cub'"):
        p.caption_indices(get_suite("cub", root=make_cub(tmp_path / "cub")))


# a joint toy encoder that knows the class: image = class colour, caption = class name
_CLASSES = ["Sooty_Albatross", "Groove_billed_Ani"]


class _ClassGenerator:
    def generate(self, captions, seed):
        k = torch.tensor([next(i for i, c in enumerate(_CLASSES) if c in cap) for cap in captions])
        images = torch.zeros(len(captions), 3, 8, 8, dtype=torch.uint8)
        images[:, 0] = (k * 200 + 20).view(-1, 1, 1).to(torch.uint8)
        images[:, 1] = torch.randint(0, 50, (len(captions), 8, 8), generator=torch.Generator().manual_seed(seed))
        return images


class _ToyJoint(Extractor):
    calls = 0

    def __init__(self, weights=None, device="cpu"):
        self.info = ExtractorInfo(
            "toy-joint", "0" * 64, None, "none", 3, frozenset({"features", "image_embed", "text"})
        )

    def images(self, images):
        _ToyJoint.calls += images.shape[0]
        features = images.float().mean(dim=(2, 3))
        klass = (images[:, 0, 0, 0] > 100).long()
        return {"features": features, "image_embed": F.one_hot(klass, 2).float()}

    def text(self, captions):
        return F.one_hot(torch.tensor([int(_CLASSES[1] in c) for c in captions]), 2).float()


register_extractor("toy-joint", _ToyJoint, "test-only class-aware joint encoder")


def test_evaluate_protocol_draws_mismatches_from_other_classes_and_caches_the_reference(tmp_path):
    suite = get_suite("cub", root=make_cub(tmp_path / "data", per_class=3, test_classes=2), resolution=8)
    base = get_protocol("cub").with_samples(60)
    p = type(base)(
        **{
            **base.__dict__,
            "stages": (
                Stage(
                    "toy-joint",
                    ("fd", "kid", "r_precision"),
                    prefix="toy_",
                    metric_options={
                        "kid": {"subsets": 4, "subset_size": 5},
                        "r_precision": {"candidates": 5, "folds": 2},
                    },
                    note="toy stage",
                ),
            ),
        }
    )
    out = evaluate_protocol(p, suite, _ClassGenerator(), batch_size=16, cache_dir=tmp_path / "cache")
    values = out["values"]
    assert set(values) == {"toy_fd_toy", "toy_kid", "toy_r_precision"}
    # mismatched captions come from the other class, so a class-perfect encoder always ranks the true one first;
    # drawing them from the same class (ties) would give less than 1
    assert values["toy_r_precision"].value == 1.0 and values["toy_r_precision"].n == 60
    assert values["toy_fd_toy"].details["stage"] == "toy stage" and values["toy_fd_toy"].details["reference_count"] == 6
    assert out["protocol"]["protocol"] == "cub@60" and out["extractors"] == {
        "toy-joint": {"weights_hash": "0" * 64, "resize": "none"}
    }
    assert len(list((tmp_path / "cache" / "reference").glob("toy-joint-*.safetensors"))) == 1
    before = _ToyJoint.calls
    again = evaluate_protocol(p, suite, _ClassGenerator(), batch_size=16, cache_dir=tmp_path / "cache")
    assert _ToyJoint.calls - before == 60  # the 6 reference images came from the cache
    assert again["values"]["toy_fd_toy"].value == pytest.approx(values["toy_fd_toy"].value)
    assert np.isfinite(values["toy_kid"].value)
