"""MS-COCO with Karpathy's captioning split (`dataset_coco.json`), the standard image -> text protocol.

Layout under root:

    dataset_coco.json                       (Karpathy & Fei-Fei 2015's split file)
    val2014/COCO_val2014_000000391895.jpg   (as each image's "filepath"/"filename")
    train2014/...

The file lists every COCO 2014 image once with its "split" ("train", "restval", "val" or "test"),
its "cocoid" and its "sentences" (each with "raw" text and "tokens"). The suite's splits follow the
standard use: "train" = train + restval (113,287 images), "val" (5,000), "test" (5,000). Captions are
the "raw" sentences with whitespace collapsed (the COCO caption evaluation tokenises raw text itself).
A sample is one caption, as in the other photo suites; `references` gives every caption of an image.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from xmbench.data.photos import Photo, PhotoSuite, data_root, expect_file
from xmbench.data.untrusted import field, read_json, refuse_duplicates, relative_name
from xmbench.errors import InputError

SPLIT_FILE = "dataset_coco.json"
#: Karpathy's split names -> the suite's
SPLITS: dict[str, str] = {"train": "train", "restval": "train", "val": "val", "test": "test"}
RESTORE = f"restore Karpathy's {SPLIT_FILE}"
#: the end of the error line about a field of the split file
FIX = (
    f"not a Karpathy split file (each image needs 'split', 'filename', 'cocoid' and 'sentences' with 'raw'); {RESTORE}"
)

#: one image of a split file: (cocoid, its folder under the root or "", its file name there, raw captions)
KarpathyImage = tuple[int, str, str, tuple[str, ...]]


def _image_folder(image: dict[str, Any], where: str) -> str:
    """The image's "filepath": one folder under the root (train2014, val2014), or "" when absent."""
    if image.get("filepath", "") == "":
        return ""
    filepath = relative_name(field(image, "filepath", str, where, FIX), where, "image folder").rstrip("/")
    if "/" in filepath:
        raise InputError(
            f"{where}: 'filepath' {filepath!r} must be one folder under the root, such as 'val2014'; {FIX}"
        )
    return filepath


def _image(image: Any, where: str) -> tuple[str, KarpathyImage]:
    """(suite split, image) of one of "images"."""
    cocoid = field(image, "cocoid", int, where, FIX)
    split = field(image, "split", str, where, FIX)
    if split not in SPLITS:
        raise InputError(f"{where}: image {cocoid} has split {split!r}; a Karpathy file uses {', '.join(SPLITS)}")
    filename = relative_name(field(image, "filename", str, where, FIX), where, "image")
    sentences = field(image, "sentences", list, where, FIX)
    if not sentences:
        raise InputError(f"{where}: image {cocoid} has no sentences; every image needs captions; {RESTORE}")
    captions = tuple(
        " ".join(field(s, "raw", str, f"{where}: sentences[{j}]", FIX).split()) for j, s in enumerate(sentences)
    )
    return SPLITS[split], (cocoid, _image_folder(image, where), filename, captions)


def read_karpathy(path: Path) -> dict[str, list[KarpathyImage]]:
    """Parse a Karpathy split file: suite split -> [(cocoid, filepath, filename, raw captions)], file order.

    The file is untrusted (xmbench.data.untrusted): at most MAX_FILE_BYTES; cocoid must be an integer,
    filepath one folder, filename a relative path, captions strings; a cocoid or an image file appearing
    twice is refused.

    Raises:
        InputError: one line naming the file (and the image) and the problem on a malformed one.

    Example:
        >>> import json, tempfile
        >>> p = Path(tempfile.mkdtemp()) / SPLIT_FILE
        >>> image = {"split": "restval", "filepath": "val2014", "filename": "a.jpg", "cocoid": 7}
        >>> _ = p.write_text(json.dumps({"images": [{**image, "sentences": [{"raw": " A  dog. "}]}]}))
        >>> read_karpathy(p)["train"]
        [(7, 'val2014', 'a.jpg', ('A dog.',))]
    """
    data = read_json(path, "Karpathy split file", FIX)
    out: dict[str, list[KarpathyImage]] = {s: [] for s in dict.fromkeys(SPLITS.values())}
    for k, image in enumerate(field(data, "images", list, str(path), FIX)):
        split, entry = _image(image, f"{path}: images[{k}]")
        out[split].append(entry)
    images = [image for split in out.values() for image in split]
    refuse_duplicates((i for i, _, _, _ in images), str(path), "cocoid", RESTORE)
    refuse_duplicates((f"{d}/{f}".lstrip("/") for _, d, f, _ in images), str(path), "image file", RESTORE)
    return out


class KarpathyCocoSuite(PhotoSuite):
    """MS-COCO 2014 images with Karpathy's train / val / test split; evaluation split "test".

    root: the folder holding dataset_coco.json and the COCO 2014 image folders (default
    $XMBENCH_HOME/data/coco-karpathy); resolution: output pixels (default 256; centre square crop,
    PIL bicubic).
    """

    name = "coco-karpathy"
    eval_split = "test"

    def __init__(self, root: str | os.PathLike | None = None, resolution: int = 256) -> None:
        self.root = data_root(self.name, root)
        path = expect_file(self.root / SPLIT_FILE, self.name, f"Karpathy's split file {SPLIT_FILE}")
        self._captions: dict[str, dict[str, tuple[str, ...]]] = {}
        photos: dict[str, list[Photo]] = {}
        for split, images in read_karpathy(path).items():
            if not images:
                continue
            self._captions[split] = {str(i): c for i, _, _, c in images}
            photos[split] = [Photo(str(i), self.root / d, f, str(i), len(c)) for i, d, f, c in images]
        if "test" not in photos:
            raise InputError(f"{path}: no image has split 'test'; the evaluation split needs images")
        super().__init__(photos, resolution)

    def _captions_of(self, split: str, photo: Photo) -> tuple[str, ...]:
        return self._captions[split][photo.key]

    def _extra_protocol(self) -> dict[str, Any]:
        return {"captions": f"karpathy {SPLIT_FILE} raw sentences", "split": "karpathy (train = train + restval)"}

    def describe(self) -> str:
        sizes = ", ".join(f"{s} {len(v)} images" for s, v in self._photos.items())
        return f"MS-COCO 2014, Karpathy captioning split ({sizes}), {self.resolution}x{self.resolution}"
