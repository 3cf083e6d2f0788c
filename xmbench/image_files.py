"""Image files as users give them (photo suites, sample folders, `xmbench score`): any format PIL reads,
read with a bound, made square and resized the one way every suite records (`SQUARE_RESIZE`)."""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

from xmbench.data.untrusted import IMAGE_ERRORS
from xmbench.errors import InputError
from xmbench.textfile import read_bytes_bounded

#: recorded in protocols and records: how a stored image becomes a square uint8 image of the suite's size
SQUARE_RESIZE = "centre-square-crop+pil-bicubic"
#: one image file larger than this is refused (a 16k x 16k PNG is far below it)
MAX_IMAGE_BYTES = 1 << 28


def image_suffixes() -> frozenset[str]:
    """The lower-case file extensions PIL can open (".png", ".jpg", ".webp", ...).

    Example:
        >>> {".png", ".jpg", ".jpeg"} <= image_suffixes()
        True
    """
    Image.init()
    return frozenset(s.lower() for s, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


def square(im: Image.Image, resolution: int | None) -> np.ndarray:
    """uint8 (3, S, S): `im` as RGB, its centre square cropped, resized to `resolution` with PIL bicubic
    (None: kept at its size S).

    Example:
        >>> square(Image.new("RGB", (40, 20), "red"), 8)[:, 0, 0].tolist()
        [255, 0, 0]
        >>> square(Image.new("L", (10, 10)), None).shape
        (3, 10, 10)
    """
    im = im.convert("RGB")
    w, h = im.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    im = im.crop((left, top, left + side, top + side))
    if resolution is not None and side != resolution:
        im = im.resize((resolution, resolution), Image.Resampling.BICUBIC)
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8).transpose(2, 0, 1))


def read_image(path: str | os.PathLike, resolution: int | None) -> np.ndarray:
    """The image file `path` (at most MAX_IMAGE_BYTES) through `square`; one InputError line naming the
    file when it is missing, too large or not an image PIL reads.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> p = Path(tempfile.mkdtemp()) / "a.png"
        >>> Image.new("RGB", (64, 64), "blue").save(p)
        >>> read_image(p, 32).shape
        (3, 32, 32)
    """
    data = read_bytes_bounded(path, MAX_IMAGE_BYTES, "image")
    try:
        with Image.open(io.BytesIO(data)) as im:
            return square(im, resolution)
    except IMAGE_ERRORS as e:
        raise InputError(f"{path}: cannot read image ({e.__class__.__name__}); replace the file") from None


__all__ = ["MAX_IMAGE_BYTES", "SQUARE_RESIZE", "image_suffixes", "read_image", "square"]
