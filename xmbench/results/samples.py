"""Sample strips stored in result records: K generated images side by side as one base64 PNG."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from xmbench.errors import InputError


def encode_strip(images: np.ndarray) -> str:
    """uint8 (K,3,H,W) -> base64 PNG of the K images side by side (H, K*W)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise InputError(f"sample strip needs uint8 (K,3,H,W), got {images.dtype} {images.shape}")
    row = np.concatenate(list(images.transpose(0, 2, 3, 1)), axis=1)
    buf = io.BytesIO()
    Image.fromarray(row).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_strip(data: str, count: int) -> np.ndarray:
    """Inverse of encode_strip: base64 PNG -> uint8 (count,3,H,W)."""
    try:
        with Image.open(io.BytesIO(base64.b64decode(data, validate=True))) as im:
            row = np.asarray(im.convert("RGB"))
    except Exception as e:
        raise InputError(f"the record's sample strip is not a base64 PNG ({type(e).__name__})") from None
    h, w = row.shape[:2]
    if count < 1 or w % count:
        raise InputError(f"sample strip of width {w} does not split into {count} images")
    return row.reshape(h, count, w // count, 3).transpose(1, 3, 0, 2).copy()
