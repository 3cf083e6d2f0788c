"""Small seeded photometric changes of images, for captioners' robustness runs (`robustness = ["photometric"]`).

Each image gets its own draw, a pure function of (seed, its sample position): intensities in [0, 1]
are scaled about the image's mean by a contrast factor in [1 - CONTRAST, 1 + CONTRAST], shifted by a
brightness offset in [-BRIGHTNESS, BRIGHTNESS], and Gaussian noise of standard deviation NOISE is
added; the result is rounded back to uint8. The changes keep every object and colour recognisable
to a person and to the shapes-v1 evaluator. Bump VERSION when they change; robustness records carry it.
"""

from __future__ import annotations

import torch

from xmbench.seeding import derive_seed

#: bump when the perturbation changes (captioning records carry it)
VERSION = 1
#: largest brightness offset, on intensities in [0, 1]
BRIGHTNESS = 0.08
#: largest relative contrast change
CONTRAST = 0.15
#: standard deviation of the pixel noise, on intensities in [0, 1]: below the shapes suite's own
#: background texture (0.012), so that every scene stays exactly readable by the shapes-v1 evaluator
NOISE = 0.01


def perturb(images: torch.Tensor, seed: int, first: int = 0) -> torch.Tensor:
    """uint8 (N,3,H,W) images with a photometric change each; image i drawn from (seed, first + i).

    Example:
        >>> import torch
        >>> images = torch.full((2, 3, 4, 4), 128, dtype=torch.uint8)
        >>> out = perturb(images, seed=0)
        >>> out.dtype, out.shape, bool((out != images).any()), bool((perturb(images, seed=0) == out).all())
        (torch.uint8, torch.Size([2, 3, 4, 4]), True, True)
    """
    out = torch.empty_like(images)
    for i in range(images.shape[0]):
        g = torch.Generator().manual_seed(derive_seed(seed, "photometric", first + i))
        contrast = 1.0 + CONTRAST * (2 * torch.rand((), generator=g, dtype=torch.float64) - 1)
        brightness = BRIGHTNESS * (2 * torch.rand((), generator=g, dtype=torch.float64) - 1)
        x = images[i].double() / 255.0
        noise = NOISE * torch.randn(x.shape, generator=g, dtype=torch.float64)
        y = (x - x.mean()) * contrast + x.mean() + brightness + noise
        out[i] = (y.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
    return out


__all__ = ["BRIGHTNESS", "CONTRAST", "NOISE", "VERSION", "perturb"]
