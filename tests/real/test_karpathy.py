"""The Karpathy COCO captioning split reader."""

import json

import pytest
from real_layouts import make_karpathy

from xmbench.data import get_suite, list_suites
from xmbench.errors import InputError


def test_splits_images_and_references(tmp_path):
    suite = get_suite("coco-karpathy", root=make_karpathy(tmp_path), resolution=16)
    assert "coco-karpathy" in list_suites() and suite.eval_split == "test"
    # train = train + restval; sentences per image 5 + k % 3
    assert {s: suite.n_images(s) for s in ("train", "val", "test")} == {"train": 2, "val": 2, "test": 3}
    assert suite.splits == {"train": 5 + 6, "val": 7 + 7, "test": 5 + 6 + 5}
    firsts = suite.image_indices("test")
    refs = suite.references("test", firsts)
    assert [len(r) for r in refs] == [5, 6, 5]
    assert refs[0][:2] == ["Image 1033 says caption 0.", "Image 1033 says caption 1."]
    assert suite.references("test", [firsts[1] + 4]) == [refs[1]]
    sample = suite.get("test", firsts[2])
    assert sample.image.shape == (3, 16, 16) and sample.caption == "Image 1066 says caption 0."
    assert sample.attributes == {"group": "1066"}
    protocol = suite.protocol()
    assert protocol["images"] == {"train": 2, "val": 2, "test": 3}
    assert protocol["split"] == "karpathy (train = train + restval)"


def _corrupt(root, edit):
    path = root / "dataset_coco.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["images"][0].update(split="holdout"), "has split 'holdout'; a Karpathy file uses train, restval"),
        (lambda d: d["images"][0].pop("filename"), "not a Karpathy split file"),
        (lambda d: d["images"][0].update(sentences=[]), "image 1000 has no sentences"),
        (
            lambda d: d["images"][0].update(filepath="train2014/sub"),
            "'train2014/sub' must be one folder under the root",
        ),
        (lambda d: d.update(images=[i for i in d["images"] if i["split"] != "test"]), "no image has split 'test'"),
    ],
)
def test_malformed_files_are_one_line_errors(tmp_path, edit, message):
    root = make_karpathy(tmp_path)
    _corrupt(root, edit)
    with pytest.raises(InputError, match=message) as info:
        get_suite("coco-karpathy", root=root)
    assert "\n" not in str(info.value)


def test_missing_file_and_image(tmp_path):
    with pytest.raises(InputError, match="expected Karpathy's split file dataset_coco.json"):
        get_suite("coco-karpathy", root=tmp_path)
    (tmp_path / "dataset_coco.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        get_suite("coco-karpathy", root=tmp_path)
    root = make_karpathy(tmp_path / "k")
    suite = get_suite("coco-karpathy", root=root, resolution=16)
    next((root / "val2014").glob("*.jpg")).unlink()
    with pytest.raises(InputError, match="image not found"):
        [suite.get(s, i) for s in ("val", "test") for i in suite.image_indices(s)]


def test_coco_karpathy_preset(tmp_path):
    from xmbench.protocols import CaptionProtocol, get_protocol, list_protocols

    preset = get_protocol("coco-karpathy")
    assert isinstance(preset, CaptionProtocol) and "coco-karpathy" in list_protocols()
    assert (preset.suite, preset.split, preset.references, preset.task) == (
        "coco-karpathy",
        "test",
        "all",
        "image-to-text",
    )
    suite = get_suite("coco-karpathy", root=make_karpathy(tmp_path), resolution=16)
    assert preset.image_indices(suite) == suite.image_indices("test") == [0, 5, 11]
    assert preset.record()["metrics"][:4] == ["bleu", "meteor", "rouge_l", "cider_d"]
    with pytest.raises(InputError, match="runs on suite 'coco-karpathy', got 'shapes'"):
        preset.image_indices(get_suite("shapes"))
    with pytest.raises(InputError, match="did you mean 'coco-karpathy'"):
        get_protocol("coco-karpathi")
