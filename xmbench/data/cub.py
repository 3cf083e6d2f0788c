"""CUB-200-2011 birds with Reed et al.'s captions.

Layout under root (the cvpr2016_cub release unpacked beside the CUB_200_2011 archive):

    text_c10/<class>/<stem>.txt            ten captions per image (Reed et al.)
    trainvalclasses.txt, testclasses.txt   150 train / 50 test classes
    CUB_200_2011/images/<class>/<stem>.jpg
    CUB_200_2011/images.txt, CUB_200_2011/bounding_boxes.txt   (for crop="bbox", the default)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from xmbench.data.photos import Photo, expect_dir, expect_file
from xmbench.data.reed import CAPTIONS_PER_IMAGE, ReedSuite
from xmbench.data.untrusted import read_dataset_text, refuse_duplicates
from xmbench.errors import InputError

IMAGES_DIR = Path("CUB_200_2011") / "images"
CROPS = ("bbox", "none")
#: the end of every error line about images.txt or bounding_boxes.txt
RESTORE = "restore it from the CUB_200_2011 archive"
IMAGES_LINE = ("<image id>", "<class>/<file>.jpg")
BOXES_LINE = ("<image id>", "<x>", "<y>", "<width>", "<height>")


def _records(path: Path, form: tuple[str, ...]) -> Iterator[tuple[str, list[str]]]:
    """(where, fields) of each line of a CUB index file, which must have the fields `form` names."""
    for lineno, line in enumerate(read_dataset_text(path, "CUB-200-2011 index").splitlines(), start=1):
        parts, where = line.split(), f"{path}:{lineno}"
        if len(parts) != len(form):
            raise InputError(f"{where}: expected {' '.join(form)!r}; {RESTORE}")
        yield where, parts


def _image_id(text: str, where: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"{where}: image id {text!r} is not a whole number; {RESTORE}")
    return int(text)


def _box(values: list[str], where: str) -> tuple[float, float, float, float]:
    """(x, y, w, h): finite numbers, w and h positive."""
    try:
        x, y, w, h = (float(v) for v in values)
    except ValueError:
        raise InputError(f"{where}: box {' '.join(values)!r} is not four numbers; {RESTORE}") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        raise InputError(f"{where}: box {' '.join(values)!r} needs finite x y and positive width height; {RESTORE}")
    return x, y, w, h


def read_boxes(cub_dir: Path, suite: str) -> dict[str, tuple[float, float, float, float]]:
    """CUB's bounding boxes keyed by image stem: (x, y, w, h) in pixels, from images.txt + bounding_boxes.txt.

    Both files are untrusted (xmbench.data.untrusted): at most MAX_FILE_BYTES; ids must be whole numbers
    and boxes four finite numbers; an image id or stem listed twice, or a box for an id twice, is refused.

    Example:
        >>> import tempfile
        >>> cub = Path(tempfile.mkdtemp())
        >>> _ = (cub / "images.txt").write_text("1 001.Albatross/Albatross_0001.jpg\\n")
        >>> _ = (cub / "bounding_boxes.txt").write_text("1 10.0 8.0 12.0 10.5\\n")
        >>> read_boxes(cub, "cub")
        {'Albatross_0001': (10.0, 8.0, 12.0, 10.5)}
    """
    images = expect_file(cub_dir / "images.txt", suite, "CUB-200-2011's images.txt")
    boxes = expect_file(cub_dir / "bounding_boxes.txt", suite, "CUB-200-2011's bounding_boxes.txt")
    listed = [(_image_id(i, where), PurePosixPath(name).stem) for where, (i, name) in _records(images, IMAGES_LINE)]
    refuse_duplicates((i for i, _ in listed), str(images), "image id", RESTORE)
    refuse_duplicates((stem for _, stem in listed), str(images), "image", RESTORE)
    stems = dict(listed)
    boxed = [(where, _image_id(i, where), values) for where, (i, *values) in _records(boxes, BOXES_LINE)]
    refuse_duplicates((i for _, i, _ in boxed), str(boxes), "image id", RESTORE)
    out = {}
    for where, image_id, values in boxed:
        if image_id not in stems:
            raise InputError(f"{where}: image id {image_id} is not in {images.name}; {RESTORE}")
        out[stems[image_id]] = _box(values, where)
    return out


class CubSuite(ReedSuite):
    """CUB-200-2011 with ten captions per image; crop "bbox" (AttnGAN/StackGAN: 1.5x the bird's box)
    or "none" (the whole photo); then centre square, PIL bicubic to `resolution` (default 256)."""

    name = "cub"

    def __init__(self, root: str | os.PathLike | None = None, resolution: int = 256, crop: str = "bbox") -> None:
        if crop not in CROPS:
            raise InputError(f"suite 'cub': crop must be one of {', '.join(CROPS)}, got {crop!r}")
        self.crop = crop
        super().__init__(root, resolution)

    def _prepare(self) -> None:
        self._images = expect_dir(self.root / IMAGES_DIR, self.name, "CUB-200-2011's image folder")
        self._boxes = read_boxes(self.root / "CUB_200_2011", self.name) if self.crop == "bbox" else {}

    def _photo(self, class_name: str, stem: str) -> Photo:
        bbox = None
        if self.crop == "bbox":
            if stem not in self._boxes:
                raise InputError(
                    f"suite 'cub': image {stem!r} has no line in CUB_200_2011/bounding_boxes.txt; "
                    "restore the file or pass crop='none'"
                )
            bbox = self._boxes[stem]
        return Photo(stem, self._images, f"{class_name}/{stem}.jpg", class_name, CAPTIONS_PER_IMAGE, bbox)

    def _extra_protocol(self) -> dict[str, Any]:
        return {**super()._extra_protocol(), "crop": "attngan-bbox-1.5x" if self.crop == "bbox" else "none"}
