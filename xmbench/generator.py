"""The Generator contract: `generate(captions, seed) -> uint8 (N,3,H,W)`, and loading user models."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from xmbench.errors import InputError, XmbenchError, user_code_error
from xmbench.images import check_images
from xmbench.plugins import make_plugin
from xmbench.registry import GENERATORS


@runtime_checkable
class Generator(Protocol):
    """Anything that turns captions into images.

    generate(captions, seed) -> uint8 tensor (len(captions), 3, H, W), deterministic given seed.
    Implementations should derive each sample's noise from (seed, position in the list) so that
    callers may batch freely.
    """

    def generate(self, captions: list[str], seed: int) -> torch.Tensor: ...


def check_generated(images: object, n: int, resolution: int | None, source: str) -> torch.Tensor:
    """Validate a generator's output for `n` captions; one-line InputError naming `source` otherwise."""
    if not isinstance(images, torch.Tensor):
        raise InputError(
            f"{source}.generate returned {type(images).__name__}; it must return a uint8 torch.Tensor (N,3,H,W)"
        )
    if images.dtype != torch.uint8:
        raise InputError(
            f"{source}.generate returned {images.dtype}; return uint8 (N,3,H,W) in [0,255] "
            "(e.g. ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8) from [-1,1])"
        )
    images = check_images(images, name=f"{source}.generate output")
    if images.shape[0] != n:
        raise InputError(
            f"{source}.generate returned {images.shape[0]} images for {n} captions; return one per caption"
        )
    if resolution is not None and tuple(images.shape[-2:]) != (resolution, resolution):
        raise InputError(
            f"{source}.generate returned {tuple(images.shape[-2:])} images; the suite is {resolution}x{resolution}"
        )
    return images


class CheckedGenerator:
    """Wraps a user's generator so that every output is validated with `check_generated`."""

    def __init__(self, inner: Generator, source: str, resolution: int | None = None) -> None:
        self.inner, self.source, self.resolution = inner, source, resolution

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        try:
            images = self.inner.generate(list(captions), seed)
        except XmbenchError:
            raise
        except Exception as e:  # the user's code
            raise user_code_error(f"{self.source}.generate", e) from e
        return check_generated(images, len(captions), self.resolution, self.source)


def load_generator(spec: str, resolution: int | None = None, **kwargs: object) -> CheckedGenerator:
    """A user's generator from `pkg.module:factory` or an entry-point name in `xmbench.generators`.

    Args:
        spec: `pkg.module:factory` (dots after the colon walk attributes), or the name of an entry point
            in the `xmbench.generators` group.
        resolution: when given, every output must be R x R with R = resolution.
        **kwargs: passed to the factory.

    Returns:
        The generator, wrapped so that every output is checked: uint8 (N,3,R,R), one image per caption.

    Raises:
        InputError: one line for an unimportable module, a missing attribute, a factory that is not
            callable or an object without `generate(captions, seed)`; later, for a wrong output.

    Example:
        >>> from xmbench.data import get_suite
        >>> noise = load_generator(
        ...     "baselines.calibration:NoiseGenerator.for_suite", resolution=32, suite=get_suite("shapes")
        ... )
        >>> noise.generate(["a red circle", "a blue square above a green cross"], seed=0).shape
        torch.Size([2, 3, 32, 32])
        >>> load_generator("baselines.calibration:NoSuchGenerator")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: module 'baselines.calibration' has no attribute 'NoSuchGenerator'; ...
    """
    generator = make_plugin(spec, GENERATORS, "generate", "captions, seed", **kwargs)
    return CheckedGenerator(generator, spec, resolution)
