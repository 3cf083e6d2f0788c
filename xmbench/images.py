"""The image contract shared by generators, extractors and metrics: uint8 (N,3,H,W)."""

from __future__ import annotations

import torch

from xmbench.errors import InputError


def check_images(
    images: torch.Tensor, *, float_input: bool = False, name: str = "images", min_count: int = 1
) -> torch.Tensor:
    """Validate a batch and return it as uint8 (N,3,H,W) on the same device.

    images: uint8 (N,3,H,W) in [0,255]; or, only with float_input=True, float (N,3,H,W) in [0,1]
    (converted with round(x*255), not truncation). Raises InputError with a one-line fix otherwise.
    """
    _check_shape(images, name, min_count)
    if images.dtype == torch.uint8:
        return images
    return _from_float(images, name, float_input)


def _check_shape(images: object, name: str, min_count: int) -> None:
    """A tensor (N,3,H,W) with N >= min_count; InputError naming the fix otherwise."""
    if not isinstance(images, torch.Tensor):
        raise InputError(f"{name} must be a torch.Tensor uint8 (N,3,H,W), got {type(images).__name__}")
    if images.ndim != 4:
        raise InputError(f"{name} must have 4 dimensions (N,3,H,W), got shape {tuple(images.shape)}")
    if images.shape[1] != 3:
        if images.shape[-1] == 3:
            raise InputError(f"{name} look NHWC {tuple(images.shape)}; pass images.permute(0, 3, 1, 2)")
        raise InputError(
            f"{name} must have 3 channels (N,3,H,W), got shape {tuple(images.shape)}; "
            "convert grey or RGBA images to RGB"
        )
    if images.shape[0] < min_count:
        raise InputError(f"{name}: need at least {min_count} images, got {images.shape[0]}")


def _from_float(images: torch.Tensor, name: str, float_input: bool) -> torch.Tensor:
    """uint8 from float images in [0,1] (round(x*255)), refusing other dtypes, NaN/Inf and out-of-range values."""
    if not images.is_floating_point():
        raise InputError(f"{name} must be uint8 or float, got {images.dtype}; convert with .to(torch.uint8)")
    if not float_input:
        raise InputError(f"{name} are {images.dtype}; pass uint8 in [0,255], or float in [0,1] with float_input=True")
    if not torch.isfinite(images).all():
        raise InputError(f"{name} contain NaN or Inf; check the generator's output")
    lo, hi = float(images.min()), float(images.max())
    if lo < 0.0:
        raise InputError(
            f"{name} have values down to {lo:.3g}: float images must lie in [0,1] (from [-1,1] use (x + 1) / 2)"
        )
    if hi > 1.0:
        raise InputError(f"{name} have values up to {hi:.3g}: float images must lie in [0,1] (from [0,255] pass uint8)")
    return (images * 255.0).round().to(torch.uint8)
