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
from xmbench.data.untrusted import confined, read_dataset_text, refuse_duplicates
from xmbench.errors import InputError

CAPTIONS_PER_IMAGE = 10
TEXT_DIR = "text_c10"
SPLIT_FILES: dict[str, str] = {"train": "trainvalclasses.txt", "test": "testclasses.txt"}


@functools.lru_cache(maxsize=4096)
def read_captions(folder: Path, name: str) -> tuple[str, ...]:
    """The first ten non-empty lines of the Reed caption file `name` under `folder` (text_c10).

    The file may not lead out of `folder` through a link and is read up to MAX_FILE_BYTES; bytes that
    are not UTF-8 are replaced.

    Raises:
        InputError: one line naming the file when it is a link out of `folder`, unreadable, too large or
            has fewer than ten captions.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "class_00001").mkdir()
        >>> _ = (folder / "class_00001" / "image_00001.txt").write_text("".join(f"cap {i}\\n" for i in range(12)))
        >>> read_captions(folder, "class_00001/image_00001.txt")[-1]
        'cap 9'
    """
    path = confined(folder, name, str(folder / name), "caption file")
    lines = [line.strip() for line in read_dataset_text(path, "caption file", lenient=True).splitlines()]
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
        """The photos of the classes the class list `file_name` gives, each class and image once."""
        path = expect_file(
            self.root / file_name, self.name, f"the {split} class list {file_name} from {self.captions_source}"
        )
        classes = []
        for lineno, line in enumerate(read_dataset_text(path, "class list").splitlines(), start=1):
            name = line.strip()
            if name:
                folder = confined(self._text_dir, name, f"{path}:{lineno}", "class folder")
                expect_dir(folder, self.name, f"the caption folder of class {name!r} (listed in {file_name})")
                classes.append(name)
        refuse_duplicates(classes, str(path), "class", "list each class once")
        photos = [
            self._photo(name, txt.stem) for name in classes for txt in sorted((self._text_dir / name).glob("*.txt"))
        ]
        fix = f"keep each image's caption file in one of the class folders {file_name} lists"
        refuse_duplicates((p.key for p in photos), str(self._text_dir), "image", fix)
        return photos

    def _captions_of(self, split: str, photo: Photo) -> tuple[str, ...]:
        return read_captions(self._text_dir, f"{photo.group}/{photo.key}.txt")

    def _extra_protocol(self) -> dict[str, Any]:
        return {"captions": f"reed2016 {TEXT_DIR}", "class_split": dict(SPLIT_FILES)}

    def describe(self) -> str:
        return (
            f"{self.name}: {CAPTIONS_PER_IMAGE} Reed et al. captions per image, class split "
            f"{len(self._photos['train'])} train / {len(self._photos['test'])} test images, "
            f"{self.resolution}x{self.resolution}"
        )
