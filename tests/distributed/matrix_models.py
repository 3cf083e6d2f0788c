"""A user's generator and captioner for the model-kind matrix (`import = "matrix_models:..."`)."""

from __future__ import annotations

import torch

from baselines.registry import get_calibration


class InvertedReal:
    """Text -> image: the suite's real image of each caption, colours inverted."""

    def __init__(self) -> None:
        self.real = get_calibration("real", "shapes")

    def generate(self, captions: list[str], seed: int) -> torch.Tensor:
        return 255 - self.real.generate(captions, seed)


class Brightness:
    """Image -> text: one of two captions, by the image's mean brightness."""

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        dark = images.float().mean(dim=(1, 2, 3)) < 128
        return ["a red circle" if d else "a blue square above a green triangle" for d in dark.tolist()]
