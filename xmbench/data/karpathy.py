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

import json
import os
from pathlib import Path
from typing import Any

from xmbench.data.photos import Photo, PhotoSuite, data_root, expect_file
from xmbench.errors import InputError

SPLIT_FILE = "dataset_coco.json"
#: Karpathy's split names -> the suite's
SPLITS: dict[str, str] = {"train": "train", "restval": "train", "val": "val", "test": "test"}


def read_karpathy(path: Path) -> dict[str, list[tuple[int, str, tuple[str, ...]]]]:
    """Parse a Karpathy split file: suite split -> [(cocoid, "filepath/filename", raw captions)], file order.

    Raises InputError naming the file and the problem on a malformed one.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        images = data["images"]
        out: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {s: [] for s in dict.fromkeys(SPLITS.values())}
        for image in images:
            split = image["split"]
            if split not in SPLITS:
                raise InputError(
                    f"{path}: image {image.get('cocoid')} has split {split!r}; a Karpathy file uses {', '.join(SPLITS)}"
                )
            relative = f"{image.get('filepath', '')}/{image['filename']}".lstrip("/")
            captions = tuple(" ".join(str(s["raw"]).split()) for s in image["sentences"])
            if not captions:
                raise InputError(f"{path}: image {image['cocoid']} has no sentences; every image needs captions")
            out[SPLITS[split]].append((int(image["cocoid"]), relative, captions))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e.msg}); restore Karpathy's {SPLIT_FILE}") from None
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(
            f"{path}: not a Karpathy split file (needs 'images' with split/filename/cocoid and 'sentences' "
            f"with 'raw'; problem: {e!r})"
        ) from None
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
            self._captions[split] = {str(i): c for i, _, c in images}
            photos[split] = [Photo(str(i), self.root / rel, str(i), len(c)) for i, rel, c in images]
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
