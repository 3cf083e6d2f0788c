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
import os
from pathlib import Path
from typing import Any

from xmbench.data.photos import Photo, PhotoSuite, data_root, expect_dir, expect_file
from xmbench.data.untrusted import field, read_json, refuse_duplicates, relative_name
from xmbench.errors import InputError

YEARS = (2014, 2017)
#: the end of every error line about a captions file
FIX = "re-extract it from the annotations archive"


def _image(entry: Any, where: str) -> tuple[int, str]:
    """(id, file_name) of one of "images"."""
    return field(entry, "id", int, where, FIX), relative_name(
        field(entry, "file_name", str, where, FIX), where, "image"
    )


def _annotation(entry: Any, where: str) -> tuple[int, int, str]:
    """(id, image_id, caption) of one of "annotations"."""
    return (
        field(entry, "id", int, where, FIX),
        field(entry, "image_id", int, where, FIX),
        field(entry, "caption", str, where, FIX),
    )


def read_coco_captions(path: Path) -> tuple[list[tuple[int, str]], dict[int, list[str]]]:
    """Parse a COCO captions JSON: ([(image id, file name)] sorted by id, {image id: captions by annotation id}).

    The file is untrusted (xmbench.data.untrusted): at most MAX_FILE_BYTES; ids must be integers,
    file names relative paths and captions strings; an image id, a file name or an annotation id
    appearing twice is refused. Images without captions are dropped.

    Raises:
        InputError: one line naming the file (and the entry) on a malformed one.

    Example:
        >>> import json, tempfile
        >>> p = Path(tempfile.mkdtemp()) / "captions_val2014.json"
        >>> images = [{"id": 9, "file_name": "b.jpg"}, {"id": 4, "file_name": "a.jpg"}]
        >>> annotations = [{"id": 2, "image_id": 9, "caption": "a  dog"}, {"id": 1, "image_id": 9, "caption": "a cat"}]
        >>> _ = p.write_text(json.dumps({"images": images, "annotations": annotations}))
        >>> read_coco_captions(p)
        ([(9, 'b.jpg')], {9: ['a cat', 'a dog']})
    """
    data = read_json(path, "COCO captions file", FIX)
    name = str(path)
    top = f"{name}: not a COCO captions file"
    images = sorted(_image(e, f"{name}: images[{k}]") for k, e in enumerate(field(data, "images", list, top, FIX)))
    annotations = sorted(
        _annotation(e, f"{name}: annotations[{k}]") for k, e in enumerate(field(data, "annotations", list, top, FIX))
    )
    refuse_duplicates((i for i, _ in images), name, "image id", FIX)
    refuse_duplicates((f for _, f in images), name, "image file_name", FIX)
    refuse_duplicates((a for a, _, _ in annotations), name, "annotation id", FIX)
    known = {i for i, _ in images}
    captions: dict[int, list[str]] = {}
    for ann_id, image_id, caption in annotations:
        if image_id not in known:
            raise InputError(f"{path}: annotation {ann_id} names image {image_id}, which 'images' lacks; {FIX}")
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
            photos[split] = [Photo(str(i), folder, name, str(i), len(captions[i])) for i, name in images]
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
