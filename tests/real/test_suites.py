import json

import numpy as np
import pytest
from PIL import Image
from real_layouts import CUB_TEST, CUB_TRAIN, coco_file_name, make_coco, make_cub, make_oxford

from xmbench.cli import main
from xmbench.data import get_suite
from xmbench.data.photos import attngan_box
from xmbench.errors import InputError


def _square(path, resolution, box=None):
    with Image.open(path) as im:
        im = im.convert("RGB")
        if box is not None:
            im = im.crop(box)
        side = min(im.size)
        left, top = (im.size[0] - side) // 2, (im.size[1] - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((resolution, resolution), Image.Resampling.BICUBIC)
        return np.asarray(im).transpose(2, 0, 1)


def test_cub_splits_captions_groups_and_bbox_crop(tmp_path):
    make_cub(tmp_path)
    suite = get_suite("cub", root=tmp_path, resolution=16)
    assert suite.splits == {"train": 2 * 2 * 10, "test": 1 * 2 * 10}
    assert suite.eval_split == "test" and suite.n_images("test") == 2
    assert suite.image_indices("test") == [0, 10]
    sample = suite.get("test", 13)  # second image of the test class, caption 3
    stem = "Sooty_Albatross_0001_102"
    assert sample.caption == f"{stem} caption 3"
    assert sample.attributes == {"group": CUB_TEST[0]} and suite.locate("test", 13) == (1, 3)
    assert suite.groups("train", [0, 19, 20, 39]) == [CUB_TRAIN[0]] * 2 + [CUB_TRAIN[1]] * 2
    # AttnGAN crop of box (10, 8, 12, 10): r = 9, centre (16, 13) -> (7, 4, 25, 22)
    assert attngan_box((10.0, 8.0, 12.0, 10.0), 48, 36) == (7, 4, 25, 22)
    path = tmp_path / "CUB_200_2011" / "images" / CUB_TEST[0] / f"{stem}.jpg"
    assert np.array_equal(sample.image, _square(path, 16, (7, 4, 25, 22)))
    whole = get_suite("cub", root=tmp_path, resolution=16, crop="none").get("test", 13).image
    assert np.array_equal(whole, _square(path, 16)) and not np.array_equal(whole, sample.image)
    batch = suite.batch("train", range(0, 40, 10))
    assert tuple(batch.images.shape) == (4, 3, 16, 16)
    assert suite.protocol()["crop"] == "attngan-bbox-1.5x"


def test_attngan_box_clips_to_the_image():
    assert attngan_box((0.0, 0.0, 20.0, 8.0), 30, 30) == (0, 0, 25, 19)


def test_oxford_layout(tmp_path):
    make_oxford(tmp_path)
    suite = get_suite("oxford", root=tmp_path, resolution=20)
    assert suite.splits == {"train": 40, "test": 20}
    assert suite.captions("test", [0, 19]) == ["image_00005 caption 0", "image_00006 caption 9"]
    assert np.array_equal(suite.get("test", 0).image, _square(tmp_path / "jpg" / "image_00005.jpg", 20))


def test_protocol_identity_is_path_free_and_tracks_the_index(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    make_oxford(a)
    make_oxford(b)
    pa, pb = get_suite("oxford", root=a).protocol(), get_suite("oxford", root=b).protocol()
    assert pa == pb and str(tmp_path) not in json.dumps(pa)
    (b / "testclasses.txt").write_text("class_00003\nclass_00002\n")
    assert get_suite("oxford", root=b).protocol()["index_sha256"] != pa["index_sha256"]


@pytest.mark.parametrize("year", [2014, 2017])
def test_coco_orders_images_by_id_and_captions_by_annotation_id(tmp_path, year):
    make_coco(tmp_path, year=year, n_val=4, n_train=2)
    suite = get_suite(f"coco{year}", root=tmp_path, resolution=12)
    assert suite.eval_split == "val"
    assert suite.splits == {"train": 5 + 6, "val": 5 + 6 + 5 + 6}
    ids = [479, 486, 493, 500]  # 500 - 7k, sorted
    assert suite.image_indices("val") == [0, 6, 11, 17]  # 479 is k=3 (6 captions), 486 k=2 (5), ...
    first = suite.get("val", 0)
    assert first.attributes == {"group": "479"} and suite.locate("val", 7) == (1, 1)
    # annotation ids decrease as the fixture writes captions: the last written comes first
    assert first.caption == "img 479 cap 5"
    assert suite.groups("val", [5, 6]) == ["479", "486"]
    path = tmp_path / f"val{year}" / coco_file_name(year, "val", ids[0])
    assert np.array_equal(first.image, _square(path, 12))


def test_coco_without_train_annotations_has_val_only(tmp_path):
    make_coco(tmp_path, n_val=2)
    assert set(get_suite("coco2014", root=tmp_path).splits) == {"val"}


@pytest.mark.parametrize(
    "suite, make, breaks, message",
    [
        (
            "cub",
            make_cub,
            lambda r: (r / "testclasses.txt").unlink(),
            r"suite 'cub': expected the test class list testclasses.txt from .* at .*testclasses.txt; "
            r"the folder is laid out differently",
        ),
        (
            "cub",
            make_cub,
            lambda r: (r / "CUB_200_2011" / "bounding_boxes.txt").unlink(),
            r"expected CUB-200-2011's bounding_boxes.txt at .*CUB_200_2011/bounding_boxes.txt",
        ),
        (
            "cub",
            make_cub,
            lambda r: (r / "CUB_200_2011" / "images").rename(r / "imgs"),
            r"expected CUB-200-2011's image folder at .*CUB_200_2011/images/",
        ),
        (
            "cub",
            make_cub,
            lambda r: (r / "text_c10").rename(r / "text"),
            r"expected the caption folder text_c10 from .* at .*text_c10/",
        ),
        (
            "oxford",
            make_oxford,
            lambda r: (r / "trainvalclasses.txt").write_text("class_00009\n"),
            r"expected the caption folder of class 'class_00009' \(listed in trainvalclasses.txt\) "
            r"at .*text_c10/class_00009/",
        ),
        (
            "oxford",
            make_oxford,
            lambda r: (r / "jpg").rename(r / "images"),
            r"expected Oxford-102's image folder jpg .* at .*/jpg/",
        ),
        (
            "coco2014",
            make_coco,
            lambda r: (r / "annotations" / "captions_val2014.json").rename(r / "captions_val2014.json"),
            r"expected the val captions .* at .*annotations/captions_val2014.json",
        ),
        (
            "coco2014",
            make_coco,
            lambda r: (r / "val2014").rename(r / "val"),
            r"expected the val image folder at .*/val2014/",
        ),
        (
            "coco2014",
            make_coco,
            lambda r: (r / "annotations" / "captions_val2014.json").write_text('{"images": []'),
            r"captions_val2014.json: not valid JSON",
        ),
        (
            "coco2014",
            make_coco,
            lambda r: (r / "annotations" / "captions_val2014.json").write_text('{"images": []}'),
            r"captions_val2014.json: not a COCO captions file",
        ),
    ],
)
def test_a_folder_laid_out_differently_is_one_line(tmp_path, suite, make, breaks, message):
    make(tmp_path)
    breaks(tmp_path)
    with pytest.raises(InputError, match=message) as e:
        get_suite(suite, root=tmp_path)
    assert "\n" not in str(e.value)


def test_short_caption_file_and_missing_image_name_the_file(tmp_path):
    make_oxford(tmp_path)
    (tmp_path / "text_c10" / "class_00003" / "image_00005.txt").write_text("one\ntwo\n")
    (tmp_path / "jpg" / "image_00006.jpg").unlink()
    suite = get_suite("oxford", root=tmp_path)
    with pytest.raises(InputError, match=r"image_00005.txt: expected 10 captions \(one a line\), found 2"):
        suite.captions("test", [0])
    with pytest.raises(InputError, match=r"image_00006.jpg: image not found"):
        suite.get("test", 10)


def test_missing_root_names_the_folder_and_the_fix(tmp_path):
    with pytest.raises(InputError, match=r"suite 'coco2017': folder .*nope' not found; pass root=FOLDER"):
        get_suite("coco2017", root=tmp_path / "nope")


def test_cli_lists_real_suites_and_previews_one(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XMBENCH_HOME", str(tmp_path / "home"))
    assert main(["suites"]) == 0
    out = capsys.readouterr().out
    assert "cub" in out and "not available: suite 'cub'" in out and "splits: train 20000" in out
    make_cub(tmp_path / "cub")
    png = tmp_path / "grid.png"
    assert (
        main(["preview", "cub", "--root", str(tmp_path / "cub"), "--resolution", "32", "--out", str(png), "--n", "4"])
        == 0
    )
    assert png.is_file()
