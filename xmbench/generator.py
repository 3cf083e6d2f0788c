"""The Generator contract: `generate(captions, seed) -> uint8 (N,3,H,W)`, and loading user models."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from xmbench.errors import InputError
from xmbench.images import check_images


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


ENTRY_POINT_GROUP = "xmbench.generators"


class CheckedGenerator:
    """Wraps a user's generator so that every output is validated with `check_generated`."""

    def __init__(self, inner: Generator, source: str, resolution: int | None = None) -> None:
        self.inner, self.source, self.resolution = inner, source, resolution

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        return check_generated(self.inner.generate(list(captions), seed), len(captions), self.resolution, self.source)


def _entry_point(name: str) -> object:
    from importlib.metadata import entry_points

    from xmbench.errors import unknown_name

    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        raise unknown_name(
            f"generator (import paths look like pkg.module:factory; entry points of {ENTRY_POINT_GROUP!r})", name, found
        )
    return found[name].load()


def load_generator(spec: str, resolution: int | None = None, **kwargs: object) -> CheckedGenerator:
    """A user's generator from `pkg.module:factory` or an entry-point name in `xmbench.generators`.

    The factory (a class or function) is called with `kwargs` and must return an object with a
    `generate(captions, seed)` method; its outputs are then checked to be uint8 (N,3,R,R) with
    R = resolution when given. Every failure is a one-line InputError.
    """
    import importlib

    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise InputError(
                f"cannot import module {module_name!r} of generator {spec!r} ({e}); "
                "install it or add its folder to PYTHONPATH"
            ) from None
        factory = module
        for part in attr.split("."):
            if not hasattr(factory, part):
                raise InputError(
                    f"module {module_name!r} has no attribute {attr!r}; the import path is pkg.module:factory"
                )
            factory = getattr(factory, part)
    else:
        factory = _entry_point(spec)
    if not callable(factory):
        raise InputError(
            f"generator factory {spec!r} is a {type(factory).__name__}, not callable; "
            "point it at a class or a function returning a generator"
        )
    generator = factory(**kwargs)
    if not callable(getattr(generator, "generate", None)):
        raise InputError(
            f"{spec!r} returned a {type(generator).__name__} without a generate(captions, seed) "
            "method; return an object implementing the Generator contract"
        )
    return CheckedGenerator(generator, spec, resolution)
