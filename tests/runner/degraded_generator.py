"""A deliberately degraded generator for the gate test: the suite's real images plus Gaussian noise."""

import torch

from baselines.registry import get_calibration
from xmbench.seeding import derive_seed


class NoisyReal:
    def __init__(self, strength: float = 60.0) -> None:
        self.real = get_calibration("real", "shapes")
        self.strength = strength

    def generate(self, captions, seed):
        images = self.real.generate(captions, seed).float()
        g = torch.Generator().manual_seed(derive_seed(seed, "degrade"))
        noisy = images + self.strength * torch.randn(images.shape, generator=g)
        return noisy.round().clamp(0, 255).to(torch.uint8)
