"""Photo suites: real photographs with several captions each, read from a local folder.

A sample is one (image, caption) pair. Samples are numbered image by image: the captions of image k
are samples offsets[k] .. offsets[k+1]-1. Images are cropped to a square and resized with PIL bicubic
to the suite's resolution, so that every sample of a suite has one size.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from xmbench.data.base import Sample, Suite
from xmbench.data.untrusted import IMAGE_ERRORS, confined
from xmbench.errors import InputError
from xmbench.home import xmbench_home
from xmbench.image_files import SQUARE_RESIZE, square


def data_root(name: str, root: str | os.PathLike | None) -> Path:
    """The folder of suite `name`: `root` if given, else $XMBENCH_HOME/data/<name> (XMBENCH_HOME
    defaults to .xmbench in the working folder). Raises InputError if it is not a folder."""
    if root is None:
        root = xmbench_home() / "data" / name
    path = Path(root)
    if not path.is_dir():
        raise InputError(
            f"suite {name!r}: folder {str(path)!r} not found; pass root=FOLDER (--root) holding "
            f"the dataset, or put it at $XMBENCH_HOME/data/{name}"
        )
    return path


def expect_file(path: Path, suite: str, what: str) -> Path:
    """`path` if it is a file, else InputError saying which file was expected where and what it is."""
    if not path.is_file():
        raise InputError(f"suite {suite!r}: expected {what} at {path}; the folder is laid out differently")
    return path


def expect_dir(path: Path, suite: str, what: str) -> Path:
    """`path` if it is a folder, else InputError saying which folder was expected where."""
    if not path.is_dir():
        raise InputError(f"suite {suite!r}: expected {what} at {path}/; the folder is laid out differently")
    return path


def attngan_box(bbox: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """StackGAN/AttnGAN's CUB crop: a square of side 1.5x the bounding box's longer side, centred on
    the box, clipped to the image. bbox: (x, y, w, h) in pixels. Returns (x1, y1, x2, y2)."""
    x, y, w, h = bbox
    r = int(max(w, h) * 0.75)
    cx, cy = int((2 * x + w) / 2), int((2 * y + h) / 2)
    return max(0, cx - r), max(0, cy - r), min(width, cx + r), min(height, cy + r)


def load_square(path: Path, resolution: int, bbox: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Read `path` as RGB; if `bbox` (x, y, w, h) is given, crop AttnGAN's square around it; then crop
    the centre square and resize it to `resolution` with PIL bicubic.

    Returns uint8 numpy (3, resolution, resolution). A missing or unreadable file raises InputError.
    """
    if not path.is_file():
        raise InputError(f"{path}: image not found; the suite's index lists it, so restore the file")
    try:
        with Image.open(path) as im:
            return square(im.crop(attngan_box(bbox, *im.size)) if bbox is not None else im, resolution)
    except IMAGE_ERRORS as e:
        raise InputError(f"{path}: cannot read image ({e.__class__.__name__}); replace the corrupt file") from None


@dataclass(frozen=True)
class Photo:
    """One image of a photo suite.

    key: the dataset's name for the image (file stem or image id); folder: the folder of the layout
    that `name` is relative to (`val2014/`, `jpg/`), which the image may not leave (xmbench.data.untrusted);
    name: the image's relative path, as the dataset's index gives it; group: the R-precision group —
    mismatched captions are drawn from other groups (the class for CUB/Oxford, the image for COCO);
    bbox: optional object box (x, y, w, h) in pixels for AttnGAN's crop.
    """

    key: str
    folder: Path
    name: str
    group: str
    n_captions: int
    bbox: tuple[float, float, float, float] | None = None

    @property
    def path(self) -> Path:
        """The image file (not yet checked against links that leave `folder`)."""
        return self.folder / self.name


class PhotoSuite(Suite):
    """Base of the real suites: photos with several captions each; sample = (image, caption)."""

    eval_split = "test"

    def __init__(self, photos: dict[str, list[Photo]], resolution: int) -> None:
        if not isinstance(resolution, int) or not 8 <= resolution <= 1024:
            raise InputError(f"suite {self.name!r}: resolution must be an integer from 8 to 1024, got {resolution!r}")
        for split, items in photos.items():
            if not items:
                raise InputError(f"suite {self.name!r}: split {split!r} has no images; check the folder's index files")
        self.resolution = resolution
        self._photos = photos
        self._offsets = {
            s: np.concatenate([[0], np.cumsum([p.n_captions for p in v])]).astype(np.int64) for s, v in photos.items()
        }
        self._load = functools.lru_cache(maxsize=32)(self._load_photo)

    @abstractmethod
    def _captions_of(self, split: str, photo: Photo) -> tuple[str, ...]:
        """The captions of `photo`, in order (exactly photo.n_captions of them)."""

    def _extra_protocol(self) -> dict[str, Any]:
        """Suite-specific protocol fields (crop mode, caption source)."""
        return {}

    @property
    def splits(self) -> dict[str, int]:
        return {s: int(o[-1]) for s, o in self._offsets.items()}

    def n_images(self, split: str) -> int:
        """Number of distinct images in `split`."""
        self.check_split(split)
        return len(self._photos[split])

    def locate(self, split: str, index: int) -> tuple[int, int]:
        """(image number, caption number) of sample `index` of `split`."""
        self.check_index(split, index)
        k = int(np.searchsorted(self._offsets[split], index, side="right")) - 1
        return k, index - int(self._offsets[split][k])

    def image_indices(self, split: str) -> list[int]:
        """One sample index per image (its first caption): the real images, each once."""
        self.check_split(split)
        return [int(i) for i in self._offsets[split][:-1]]

    def groups(self, split: str, indices: Sequence[int]) -> list[str]:
        """R-precision group of each sample: mismatched captions must come from other groups."""
        return [self._photos[split][self.locate(split, int(i))[0]].group for i in indices]

    def image_keys(self, split: str, indices: Sequence[int]) -> list[str]:
        """The dataset's name (COCO id, file stem) of each sample's image, as results files name images."""
        return [self._photos[split][self.locate(split, int(i))[0]].key for i in indices]

    def protocol(self) -> dict[str, Any]:
        """Identity for result records; `index_sha256` digests the image keys and caption counts (no paths)."""
        digest = hashlib.sha256(
            json.dumps(
                {s: [[p.key, p.group, p.n_captions] for p in v] for s, v in sorted(self._photos.items())},
                separators=(",", ":"),
            ).encode()
        ).hexdigest()
        return {
            **super().protocol(),
            "images": {s: len(v) for s, v in self._photos.items()},
            "image_resize": SQUARE_RESIZE,
            "index_sha256": digest,
            **self._extra_protocol(),
        }

    def _load_photo(self, split: str, k: int) -> np.ndarray:
        photo = self._photos[split][k]
        path = confined(photo.folder, photo.name, str(photo.path), "image")
        return load_square(path, self.resolution, photo.bbox)

    def _caption(self, split: str, k: int, j: int) -> str:
        photo = self._photos[split][k]
        captions = self._captions_of(split, photo)
        return captions[j]

    def _get(self, split: str, index: int) -> Sample:
        k, j = self.locate(split, index)
        photo = self._photos[split][k]
        # only the group: R-precision groups samples by their record, and mismatched captions must come
        # from other groups (classes / images); the image and caption number are in locate()
        return Sample(split, index, self._load(split, k).copy(), self._caption(split, k, j), {"group": photo.group})

    def captions(self, split: str, indices: Sequence[int]) -> list[str]:
        return [self._caption(split, *self.locate(split, int(i))) for i in indices]

    def references(self, split: str, indices: Sequence[int]) -> list[list[str]]:
        """Every caption of the image of each sample (10 for CUB/Oxford, about 5 for COCO)."""
        out = []
        for i in indices:
            k, _ = self.locate(split, int(i))
            out.append(list(self._captions_of(split, self._photos[split][k])))
        return out
