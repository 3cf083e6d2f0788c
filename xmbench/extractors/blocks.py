"""Building blocks shared by the shapes evaluators' networks (`shapes_v1.network`, `shapes_skills_v1.network`).

The blocks hold no state of their own, so the state-dict keys of the networks built from them are
the ones the shipped weights were saved with.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Self

import torch
import torch.nn as nn


class JsonConfig:
    """JSON round trip for a dataclass of architecture hyper-parameters with a `widths` tuple.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Config(JsonConfig):
        ...     widths: tuple[int, ...] = (8, 16)
        >>> Config.from_json(Config().to_json()) == Config()
        True
    """

    def to_json(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Self:
        """The config from `to_json`'s dict (JSON lists read back as the `widths` tuple)."""
        obj = dict(obj)
        obj["widths"] = tuple(obj["widths"])
        return cls(**obj)


def conv_block(cin: int, cout: int, kernel: int = 3, stride: int = 1) -> list[nn.Module]:
    """Convolution (same padding, no bias), batch norm and ReLU, to splice into an `nn.Sequential`.

    Args:
        cin: input channels.
        cout: output channels.
        kernel: the square kernel's side.
        stride: the convolution's stride.

    Returns:
        The three modules, in order.

    Example:
        >>> [type(m).__name__ for m in conv_block(3, 8, 5, 2)]
        ['Conv2d', 'BatchNorm2d', 'ReLU']
    """
    return [
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


def standardise_images(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N,3,H,W) -> float32 scaled to (x/255 - 0.5)/0.25, channels-last in memory.

    Example:
        >>> standardise_images(torch.full((1, 3, 2, 2), 255, dtype=torch.uint8))[0, 0, 0, 0].item()
        2.0
    """
    x = (images.float() / 255.0 - 0.5) / 0.25
    return x.contiguous(memory_format=torch.channels_last)


def logit_scale() -> nn.Parameter:
    """A CLIP temperature parameter: log(1 / 0.07), learned.

    Example:
        >>> round(logit_scale().item(), 4)
        2.6593
    """
    return nn.Parameter(torch.tensor(float(torch.log(torch.tensor(1 / 0.07)))))
