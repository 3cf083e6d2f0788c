"""CUB-200-2011 birds with Reed et al.'s captions.

Layout under root (the cvpr2016_cub release unpacked beside the CUB_200_2011 archive):

    text_c10/<class>/<stem>.txt            ten captions per image (Reed et al.)
    trainvalclasses.txt, testclasses.txt   150 train / 50 test classes
    CUB_200_2011/images/<class>/<stem>.jpg
    CUB_200_2011/images.txt, CUB_200_2011/bounding_boxes.txt   (for crop="bbox", the default)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from xmbench.data.photos import Photo, expect_dir, expect_file
from xmbench.data.reed import CAPTIONS_PER_IMAGE, ReedSuite
from xmbench.errors import InputError

IMAGES_DIR = Path("CUB_200_2011") / "images"
CROPS = ("bbox", "none")


def read_boxes(cub_dir: Path, suite: str) -> dict[str, tuple[float, float, float, float]]:
    """CUB's bounding boxes keyed by image stem: (x, y, w, h) in pixels, from images.txt + bounding_boxes.txt."""
    images = expect_file(cub_dir / "images.txt", suite, "CUB-200-2011's images.txt")
    boxes = expect_file(cub_dir / "bounding_boxes.txt", suite, "CUB-200-2011's bounding_boxes.txt")
    stems = {}
    for lineno, line in enumerate(images.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if len(parts) != 2:
            raise InputError(f"{images}:{lineno}: expected '<image id> <class>/<file>.jpg'")
        stems[parts[0]] = Path(parts[1]).stem
    out = {}
    for lineno, line in enumerate(boxes.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if len(parts) != 5 or parts[0] not in stems:
            raise InputError(f"{boxes}:{lineno}: expected '<image id from images.txt> <x> <y> <width> <height>'")
        out[stems[parts[0]]] = tuple(float(v) for v in parts[1:])
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
        return Photo(stem, self._images / class_name / f"{stem}.jpg", class_name, CAPTIONS_PER_IMAGE, bbox)

    def _extra_protocol(self) -> dict[str, Any]:
        return {**super()._extra_protocol(), "crop": "attngan-bbox-1.5x" if self.crop == "bbox" else "none"}
