"""The reader shared by CUB-200-2011 and Oxford-102: Reed et al. (CVPR 2016) captions.

Reed et al.'s release (cvpr2016_cub / cvpr2016_flowers) holds one text file of ten captions per
image, `text_c10/<class>/<image stem>.txt`, and the class split used by every text-to-image paper
since StackGAN: `trainvalclasses.txt` (train) and `testclasses.txt` (test), one class folder name a
line. Only where the images live differs between the two datasets (`_photo`).
"""

from __future__ import annotations

import functools
import os
from abc import abstractmethod
from pathlib import Path
from typing import Any

from xmbench.data.photos import Photo, PhotoSuite, data_root, expect_dir, expect_file
from xmbench.errors import InputError

CAPTIONS_PER_IMAGE = 10
TEXT_DIR = "text_c10"
SPLIT_FILES: dict[str, str] = {"train": "trainvalclasses.txt", "test": "testclasses.txt"}


@functools.lru_cache(maxsize=4096)
def read_captions(path: Path) -> tuple[str, ...]:
    """The first ten non-empty lines of a Reed caption file (InputError if it has fewer)."""
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        raise InputError(
            f"{path}: caption file not found or unreadable; restore it from Reed et al.'s release"
        ) from None
    captions = tuple(line for line in lines if line)
    if len(captions) < CAPTIONS_PER_IMAGE:
        raise InputError(f"{path}: expected {CAPTIONS_PER_IMAGE} captions (one a line), found {len(captions)}")
    return captions[:CAPTIONS_PER_IMAGE]


class ReedSuite(PhotoSuite):
    """Images with Reed et al.'s ten captions each; splits "train" (trainval classes) and "test".

    root: the dataset folder (default $XMBENCH_HOME/data/<name>); resolution: output size in pixels.
    """

    #: where the caption release comes from, for error messages
    captions_source: str = "Reed et al.'s cvpr2016 caption release"

    def __init__(self, root: str | os.PathLike | None = None, resolution: int = 256) -> None:
        self.root = data_root(self.name, root)
        self._text_dir = expect_dir(
            self.root / TEXT_DIR, self.name, f"the caption folder {TEXT_DIR} from {self.captions_source}"
        )
        self._prepare()
        super().__init__({split: self._split(split, file) for split, file in SPLIT_FILES.items()}, resolution)

    def _prepare(self) -> None:
        """Read dataset-wide image indexes before the splits are built (override where needed)."""

    @abstractmethod
    def _photo(self, class_name: str, stem: str) -> Photo:
        """The Photo for image `stem` of class folder `class_name` (with CAPTIONS_PER_IMAGE captions)."""

    def _split(self, split: str, file_name: str) -> list[Photo]:
        path = expect_file(
            self.root / file_name, self.name, f"the {split} class list {file_name} from {self.captions_source}"
        )
        classes = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        photos = []
        for class_name in classes:
            folder = expect_dir(
                self._text_dir / class_name,
                self.name,
                f"the caption folder of class {class_name!r} (listed in {file_name})",
            )
            photos.extend(self._photo(class_name, txt.stem) for txt in sorted(folder.glob("*.txt")))
        return photos

    def _captions_of(self, split: str, photo: Photo) -> tuple[str, ...]:
        return read_captions(self._text_dir / photo.group / f"{photo.key}.txt")

    def _extra_protocol(self) -> dict[str, Any]:
        return {"captions": f"reed2016 {TEXT_DIR}", "class_split": dict(SPLIT_FILES)}

    def describe(self) -> str:
        return (
            f"{self.name}: {CAPTIONS_PER_IMAGE} Reed et al. captions per image, class split "
            f"{len(self._photos['train'])} train / {len(self._photos['test'])} test images, "
            f"{self.resolution}x{self.resolution}"
        )
