"""A folder of images generated elsewhere, keyed to the run's evaluation captions (model kind `samples`).

Three layouts, tried in this order:

- manifest: `<DIR>/samples.jsonl`, one `{"image": "rel/path.png", "caption": "...", "index": 123}` per
  line; the caption must equal the evaluation caption at that sample index;
- GenEval: `<DIR>/00000/metadata.jsonl` (its "prompt" must equal the caption) + `<DIR>/00000/samples/0000.png`;
- file names: `<DIR>/000123.png` is sample 123 (`000123_1.png`, `000123_2.png`: several images of it).

Several images per prompt are allowed and counted; the metrics use the first one of each prompt (in
manifest order, or by name), so one image per caption is scored as in an in-process run, or with
`[evaluation] images_per_prompt = K` the first K of each prompt (a prompt with fewer is refused before
any work). Every file stays inside the folder (no absolute path, no `..`, no link leaving it); every
read is bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from xmbench.data.untrusted import confined, field, parse_json, read_dataset_text, relative_name
from xmbench.errors import InputError
from xmbench.filehash import sha256_file
from xmbench.image_files import SQUARE_RESIZE, image_suffixes, read_image

MANIFEST = "samples.jsonl"
_NUMBERED = re.compile(r"(\d+)(?:_(\d+))?")
#: what the metrics take of several images per prompt (recorded), with one image per prompt
USED = "the first image of each prompt"


def used(images_per_prompt: int) -> str:
    """What the metrics take of each prompt's images (recorded).

    Example:
        >>> used(1), used(4)
        ('the first image of each prompt', 'the first 4 images of each prompt')
    """
    return USED if images_per_prompt == 1 else f"the first {images_per_prompt} images of each prompt"


@dataclass(frozen=True)
class SampleFolder:
    """The images of a folder by sample index: root, layout ("manifest", "geneval", "file names") and
    `files[i]`, the relative names of sample i's images (first one scored)."""

    root: Path
    layout: str
    files: dict[int, list[str]]

    def check_covers(self, count: int, per_prompt: int = 1) -> None:
        """One InputError line naming the first sample index of 0 .. count-1 without an image (fewer than
        `per_prompt` images), or the first of their files that leads out of the folder (no file is read)."""
        missing = next((i for i in range(count) if i not in self.files), None)
        if missing is not None:
            raise InputError(
                f"samples folder {self.root} ({self.layout} layout) has no image for sample index {missing}; "
                f"it needs one for each of the {count} evaluation captions (0 .. {count - 1})"
            )
        short = next((i for i in range(count) if len(self.files[i]) < per_prompt), None)
        if short is not None:
            raise InputError(
                f"samples folder {self.root} ({self.layout} layout) has {len(self.files[short])} images for sample "
                f"index {short}; images_per_prompt = {per_prompt} needs {per_prompt} for each prompt: add them "
                "or lower images_per_prompt"
            )
        for i in range(count):
            for name in self.files[i]:
                self.path(name)

    def content_hash(self, count: int) -> list[list[str]]:
        """sha256 of every image of samples 0 .. count-1, in order: the model's identity."""
        return [[sha256_file(self.path(name)) for name in self.files[i]] for i in range(count)]

    def path(self, name: str) -> Path:
        return confined(self.root, name, f"samples folder {self.root}", "image")

    def describe(self, count: int, per_prompt: int = 1) -> dict[str, object]:
        """What the record says of where the outputs came from (`per_prompt`: images used per prompt)."""
        counts = [len(self.files[i]) for i in range(count)]
        return {
            "path": str(self.root),
            "format": self.layout,
            "files": sum(counts),
            "images_per_prompt": {"min": min(counts), "max": max(counts)},
            "used": used(per_prompt),
            "resize": SQUARE_RESIZE,
        }


def index_folder(root: str | Path, captions: list[str]) -> SampleFolder:
    """Index the samples folder `root` against the evaluation captions (no image is decoded).

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ("000000.png", "000001.png", "000001_1.png"):
        ...     Image.new("RGB", (8, 8)).save(root / name)
        >>> folder = index_folder(root, ["a", "b"])
        >>> folder.layout, folder.files[1]
        ('file names', ['000001.png', '000001_1.png'])
        >>> folder.check_covers(3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: samples folder ... has no image for sample index 2; it needs one for each ...
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"samples folder {root} does not exist or is not a folder; fix the path")
    if (root / MANIFEST).exists():
        return SampleFolder(root, "manifest", _manifest(root, captions))
    if (root / "00000" / "metadata.jsonl").exists():
        return SampleFolder(root, "geneval", _geneval(root, captions))
    return SampleFolder(root, "file names", _numbered(root, root, len(captions)))


def _manifest(root: Path, captions: list[str]) -> dict[int, list[str]]:
    files: dict[int, list[str]] = {}
    fix = f"write one {{'image', 'caption', 'index'}} object per line of {MANIFEST}"
    for n, line in enumerate(read_dataset_text(root / MANIFEST, "samples manifest").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{root / MANIFEST}:{n}"
        entry = parse_json(line, where, fix)
        index = field(entry, "index", int, where, fix)
        name = relative_name(field(entry, "image", str, where, fix), where, "image")
        _check_caption(field(entry, "caption", str, where, fix), index, captions, where)
        if 0 <= index < len(captions):
            files.setdefault(index, []).append(name)
    return files


def _geneval(root: Path, captions: list[str]) -> dict[int, list[str]]:
    files: dict[int, list[str]] = {}
    for i in range(len(captions)):
        prompt_dir = root / f"{i:05d}"
        if not prompt_dir.is_dir():
            continue
        where = str(prompt_dir / "metadata.jsonl")
        text = read_dataset_text(prompt_dir / "metadata.jsonl", "GenEval metadata").strip()
        prompt = field(parse_json(text, where, "restore the GenEval metadata"), "prompt", str, where, "restore it")
        _check_caption(prompt, i, captions, where)
        names = _numbered(root, prompt_dir / "samples", None).get(-1, [])
        if names:
            files[i] = names
    return files


def _numbered(root: Path, folder: Path, count: int | None) -> dict[int, list[str]]:
    """Image files of `folder` named by number, relative to root: by sample index (`count` given; names
    past it are ignored), else all under key -1 in name order (a GenEval prompt's samples)."""
    if not folder.is_dir():
        return {}
    suffixes = image_suffixes()
    files: dict[int, list[str]] = {}
    for path in sorted(folder.iterdir()):
        m = _NUMBERED.fullmatch(path.stem)
        if m is None or path.suffix.lower() not in suffixes or not path.is_file():
            continue
        key = -1 if count is None else int(m.group(1))
        if count is None or key < count:
            files.setdefault(key, []).append(path.relative_to(root).as_posix())
    return files


def _check_caption(caption: str, index: int, captions: list[str], where: str) -> None:
    if 0 <= index < len(captions) and caption != captions[index]:
        raise InputError(
            f"{where}: caption {caption[:60]!r} is not evaluation caption {index} ({captions[index][:60]!r}); "
            "generate the suite's evaluation captions in order (see `xmbench suites`)"
        )


class StoredGenerator:
    """A "generator" serving a folder's images by sample index and image number, at `resolution`.

    The runner asks it for `stored_images(indices, image)` instead of `generate`, so chunking, the sample
    cache, sharding and every metric work as for a generator run in-process.
    """

    def __init__(self, folder: SampleFolder, resolution: int) -> None:
        self.folder, self.resolution = folder, resolution

    def stored_images(self, indices: list[int], image: int = 0) -> torch.Tensor:
        """uint8 (N,3,R,R): image number `image` (0: the first) of each of samples `indices`."""
        arrays = [read_image(self.folder.path(self.folder.files[i][image]), self.resolution) for i in indices]
        return torch.from_numpy(np.stack(arrays))


__all__ = ["MANIFEST", "SampleFolder", "StoredGenerator", "index_folder", "used"]
