"""Unconditional metrics between two image folders (`xmbench score`), like pytorch-fid / torch-fidelity.

The first folder is the generated set, the second the reference (real) set: FD and KID compare them,
IS reads the first alone, PRDC takes the second as real. Every image (any format PIL reads, any size) is
centre-cropped to a square and resized with PIL bicubic to the extractor's input size (the suites' own
resize, `SQUARE_RESIZE`; an image already at that size is untouched), then fed in batches through the
`Evaluator`. Everything a user can get wrong is checked before any image is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from xmbench.errors import InputError, unknown_name
from xmbench.extractors.base import Extractor
from xmbench.image_files import SQUARE_RESIZE, image_suffixes, read_image
from xmbench.metrics import list_metrics
from xmbench.metrics.evaluator import Evaluator
from xmbench.metrics.registry import check_options_of
from xmbench.metrics.value import MetricValue

#: what `xmbench score` computes by default
DEFAULT_METRICS = ("fd", "kid", "is", "prdc")
#: inputs a metric may need to be computed between folders: extractor outputs of images alone
IMAGE_ONLY = frozenset({"features", "logits", "image_embed"})


def folder_images(folder: str | Path) -> list[Path]:
    """The image files directly in `folder` (extensions PIL opens), sorted by name; one InputError line
    when the folder is missing or holds none.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> root = Path(tempfile.mkdtemp())
        >>> Image.new("RGB", (8, 8)).save(root / "b.png"); _ = (root / "notes.txt").write_text("x")
        >>> [p.name for p in folder_images(root)]
        ['b.png']
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"image folder {folder} does not exist or is not a folder; fix the path")
    suffixes = image_suffixes()
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in suffixes and p.is_file())
    if not files:
        raise InputError(f"image folder {folder} holds no image files (PNG, JPEG, ...); pass a folder of images")
    return files


def check_metrics(names: list[str], counts: tuple[int, int]) -> list[str]:
    """The metric names, checked: registered, computable from images alone, on these image counts.

    Example:
        >>> check_metrics(["fd", "kid"], (10, 10))
        ['fd', 'kid']
        >>> check_metrics(["clip_score"], (10, 10))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: metric 'clip_score' needs captions or attribute records, ...
    """
    known = {n: needs for n, needs in list_metrics().items() if needs <= IMAGE_ONLY}
    for name in names:
        key = "fd" if name == "fid" else name  # "fid": FD on Inception (the Evaluator checks the extractor)
        if key not in list_metrics():
            raise unknown_name("metric", name, known)
        if key not in known:
            raise InputError(
                f"metric {name!r} needs captions or attribute records, which image folders lack; "
                f"choose from {', '.join(sorted(known))}"
            )
        check_options_of(key, {}, min(counts))
    return list(names)


@dataclass
class FolderScores:
    """Metric values between a generated and a reference folder, with what produced them."""

    values: dict[str, MetricValue]
    counts: tuple[int, int]
    extractor: dict[str, Any]
    resolution: int

    def to_dict(self, generated: str, reference: str) -> dict[str, Any]:
        return {
            "generated": {"folder": generated, "images": self.counts[0]},
            "reference": {"folder": reference, "images": self.counts[1]},
            "extractor": self.extractor,
            "resize": {"mode": SQUARE_RESIZE, "size": self.resolution},
            "metrics": {name: value.to_dict() for name, value in self.values.items()},
        }


def _batches(files: list[Path], resolution: int, batch_size: int):  # noqa: ANN202 - a generator of tensors
    for start in range(0, len(files), batch_size):
        yield torch.from_numpy(np.stack([read_image(p, resolution) for p in files[start : start + batch_size]]))


def score_folders(
    generated: list[Path], reference: list[Path], extractor: Extractor, metrics: list[str], batch_size: int = 50
) -> FolderScores:
    """Score the image files `generated` against `reference` (lists from `folder_images`).

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> from xmbench.extractors import get_extractor
        >>> root = Path(tempfile.mkdtemp())
        >>> for i in range(6):
        ...     Image.new("RGB", (48, 48), (40 * i, 90, 200)).save(root / f"{i}.png")
        >>> files = folder_images(root)
        >>> scores = score_folders(files, files, get_extractor("shapes-v1"), ["fd"])
        >>> scores.values["fd_shapes"].value, scores.resolution
        (0.0, 32)
    """
    info = extractor.info
    resolution = info.input_size or 256
    evaluator = Evaluator(extractor, metrics, bootstrap=0)
    for images in _batches(reference, resolution, batch_size):
        evaluator.update_reference(images)
    for images in _batches(generated, resolution, batch_size):
        evaluator.update(images)
    described = {"id": info.id, "weights_hash": info.weights_hash, "resize": info.resize}
    return FolderScores(evaluator.compute(), (len(generated), len(reference)), described, resolution)


__all__ = ["DEFAULT_METRICS", "FolderScores", "check_metrics", "folder_images", "score_folders"]
