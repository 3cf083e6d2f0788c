"""MS-COCO captions, 2014 or 2017: annotation JSON plus image folders.

Layout under root (the official archives unpacked):

    annotations/captions_val2014.json     (required: the evaluation split)
    annotations/captions_train2014.json   (optional: the train split)
    val2014/COCO_val2014_000000000042.jpg ...   (file names as the JSON's "images"[].file_name)
    train2014/...

and the same with 2017 (val2017/000000000139.jpg). A sample is one caption; images keep the order of
their ids and captions the order of their annotation ids (about five per image).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from xmbench.data.photos import Photo, PhotoSuite, data_root, expect_dir, expect_file
from xmbench.errors import InputError

YEARS = (2014, 2017)


def read_coco_captions(path: Path) -> tuple[list[tuple[int, str]], dict[int, list[str]]]:
    """Parse a COCO captions JSON: ([(image id, file name)] sorted by id, {image id: captions by annotation id}).

    Images without captions are dropped. Raises InputError naming the file on a malformed one.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        images = sorted((int(im["id"]), str(im["file_name"])) for im in data["images"])
        annotations = sorted((int(a["id"]), int(a["image_id"]), str(a["caption"])) for a in data["annotations"])
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e.msg}); re-extract the annotations archive") from None
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(
            f"{path}: not a COCO captions file (needs 'images' with id/file_name and "
            f"'annotations' with id/image_id/caption; problem: {e!r})"
        ) from None
    known = {i for i, _ in images}
    captions: dict[int, list[str]] = {}
    for ann_id, image_id, caption in annotations:
        if image_id not in known:
            raise InputError(f"{path}: annotation {ann_id} names image {image_id}, which 'images' lacks")
        captions.setdefault(image_id, []).append(" ".join(caption.split()))
    return [(i, f) for i, f in images if i in captions], captions


class CocoSuite(PhotoSuite):
    """MS-COCO captions of one year; splits "val" (evaluation) and, if its annotations exist, "train".

    root: the COCO folder (default $XMBENCH_HOME/data/coco<year>); resolution: output pixels
    (default 256; centre square crop, PIL bicubic).
    """

    eval_split = "val"

    def __init__(self, year: int, root: str | os.PathLike | None = None, resolution: int = 256) -> None:
        if year not in YEARS:
            raise InputError(f"COCO year must be one of {', '.join(map(str, YEARS))}, got {year!r}")
        self.year = year
        self.name = f"coco{year}"
        self.root = data_root(self.name, root)
        annotations = self.root / "annotations"
        photos: dict[str, list[Photo]] = {}
        self._captions: dict[str, dict[int, list[str]]] = {}
        for split in ("train", "val"):
            path = annotations / f"captions_{split}{year}.json"
            if split == "train" and not path.is_file():
                continue
            expect_file(path, self.name, f"the {split} captions (from the annotations_trainval{year} archive)")
            images, captions = read_coco_captions(path)
            folder = expect_dir(self.root / f"{split}{year}", self.name, f"the {split} image folder")
            photos[split] = [Photo(str(i), folder / name, str(i), len(captions[i])) for i, name in images]
            self._captions[split] = captions
        super().__init__(photos, resolution)

    def _captions_of(self, split: str, photo: Photo) -> tuple[str, ...]:
        return tuple(self._captions[split][int(photo.key)])

    def _extra_protocol(self) -> dict[str, Any]:
        return {"captions": f"coco{self.year} captions_<split>{self.year}.json", "crop": "none"}

    def describe(self) -> str:
        sizes = ", ".join(f"{s} {len(v)} images" for s, v in self._photos.items())
        return f"MS-COCO {self.year} captions ({sizes}), {self.resolution}x{self.resolution}"


#: the registered suites "coco2014" and "coco2017"
coco2014 = functools.partial(CocoSuite, 2014)
coco2017 = functools.partial(CocoSuite, 2017)
