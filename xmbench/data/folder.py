"""A user suite: a folder of images plus `captions.jsonl`.

Each line of captions.jsonl is {"image": "relative/path.png", "caption": "...", "split"?: "test",
"attributes"?: {...}}. Lines without "split" belong to the "test" split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from xmbench.data.base import Sample, Suite
from xmbench.data.untrusted import IMAGE_ERRORS, confined, field, parse_json, read_dataset_text
from xmbench.errors import InputError

CAPTIONS_FILE = "captions.jsonl"
#: the end of the error line about a field of captions.jsonl
FIX = 'each line needs {"image": "file.png", "caption": "text"}'


@dataclass(frozen=True)
class _Entry:
    image: Path
    caption: str
    attributes: dict[str, Any] | None


def _parse_line(root: Path, line: str, where: str) -> tuple[str, _Entry]:
    """(split, entry) of one captions.jsonl line; InputError naming `where` when it is malformed."""
    obj = parse_json(line, where, "write one JSON object per line")
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object with 'image' and 'caption', got {type(obj).__name__}")
    name, caption = field(obj, "image", str, where, FIX), field(obj, "caption", str, where, FIX)
    if not caption:
        raise InputError(f"{where}: field 'caption' is empty; {FIX}")
    image = confined(root, name, where, "image")
    if not image.is_file():
        raise InputError(f"{where}: image {name!r} not found under {root}; fix the path or add the file")
    attributes, split = obj.get("attributes"), obj.get("split", "test")
    if attributes is not None and not isinstance(attributes, dict):
        raise InputError(f"{where}: 'attributes' must be a JSON object")
    if not isinstance(split, str) or not split:
        raise InputError(f"{where}: 'split' must be a non-empty string such as \"test\"")
    return split, _Entry(image, caption, attributes)


def _read_entries(root: Path) -> dict[str, list[_Entry]]:
    path = root / CAPTIONS_FILE
    if not path.exists():
        raise InputError(
            f"{path}: not found; a folder suite needs {CAPTIONS_FILE} with one "
            '{"image": ..., "caption": ...} object per line'
        )
    splits: dict[str, list[_Entry]] = {}
    for lineno, line in enumerate(read_dataset_text(path, "captions file").split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        split, entry = _parse_line(root, line, where)
        splits.setdefault(split, []).append(entry)
    if not splits:
        raise InputError(f"{path}: no entries; add one JSON line per image")
    return splits


class FolderSuite(Suite):
    """Images and captions from a local folder. resolution: resize to this size (bicubic); None keeps
    the images' own size, which must then be the same for all (checked on load of each image)."""

    def __init__(self, root: str | Path, resolution: int | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"folder suite {str(self.root)!r} is not a folder; pass a folder holding {CAPTIONS_FILE}")
        self.name = f"folder:{self.root.name}"
        self._entries = _read_entries(self.root)
        self._resize = resolution is not None
        self.resolution = resolution if resolution is not None else self._load(self._first()).shape[-1]
        self.eval_split = "test" if "test" in self._entries else next(iter(self._entries))

    def _first(self) -> Path:
        return next(iter(self._entries.values()))[0].image

    @property
    def splits(self) -> dict[str, int]:
        return {k: len(v) for k, v in self._entries.items()}

    def describe(self) -> str:
        return f"images and captions from {self.root}"

    def _load(self, path: Path) -> np.ndarray:
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
                if self._resize:
                    im = im.resize((self.resolution, self.resolution), Image.Resampling.BICUBIC)
                array = np.asarray(im, dtype=np.uint8)
        except IMAGE_ERRORS as e:
            raise InputError(f"{path}: cannot read image ({e.__class__.__name__}); replace the corrupt file") from None
        if array.shape[0] != array.shape[1]:
            raise InputError(
                f"{path}: image is {array.shape[1]}x{array.shape[0]}, not square; pass --resolution to resize"
            )
        return np.ascontiguousarray(array.transpose(2, 0, 1))

    def _get(self, split: str, index: int) -> Sample:
        entry = self._entries[split][index]
        image = self._load(entry.image)
        if image.shape[-1] != self.resolution:
            raise InputError(
                f"{entry.image}: image is {image.shape[-1]}px but the suite's first image is "
                f"{self.resolution}px; pass --resolution to resize all images"
            )
        return Sample(split, index, image, entry.caption, entry.attributes)

    def captions(self, split: str, indices) -> list[str]:
        for i in indices:
            self.check_index(split, int(i))
        return [self._entries[split][int(i)].caption for i in indices]

    def validate(self) -> None:
        """Read every image once; raises InputError naming the first unreadable file."""
        for split, entries in self._entries.items():
            for i in range(len(entries)):
                self._get(split, i)
