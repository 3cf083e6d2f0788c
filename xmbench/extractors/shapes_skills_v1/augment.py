"""Augmentations of the shapes-skills-v1 training batches; each returns the mask of untouched images.

- `permute_colours`: v1's permutation of RGB channels: shape, texture, size and layout are learnt apart
  from colour (colour targets are ignored on those images).
- `shift_lone_objects`: a lone object (position scenes, counting scenes of one object) that lies inside
  the image shifted by a few pixels, never past the border, the gap filled with the image's median
  colour: its shape is learnt at every offset from the CNN's 8 px pooling grid, not only at the
  offsets where the training scenes put that shape. Only the lone-object heads and the overlap head
  keep their targets.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from xmbench.data.shapes_skills.layout import expanded
from xmbench.extractors.shapes_skills_v1.targets import COLOUR_HEADS, HEAD_NAMES, IGNORE

_PERMUTATIONS = torch.tensor([[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
_COLOUR_COLS = [HEAD_NAMES.index(name) for name in COLOUR_HEADS]
_KEPT_BY_SHIFT = [HEAD_NAMES.index(n) for n in ("single_shape", "single_colour", "single_size", "overlap")]
#: most pixels a lone object moves along each axis
REACH = 8
#: how far a shape reaches from its centre, in radii (v1's renderer)
_EXTENT = 1.1


def lone_objects(records: list[dict[str, Any]], resolution: int = 32) -> torch.Tensor:
    """float32 (N,3): x, y, radius in pixels at 32 px of each record's lone object, NaN where there is none.

    Example:
        >>> from xmbench.data.shapes_skills import ShapesSkillsSuite
        >>> lone_objects([ShapesSkillsSuite().get("test", i).attributes for i in range(2)]).isnan().any(1).tolist()
        [False, True]
    """
    out = torch.full((len(records), 3), float("nan"))
    for row, record in enumerate(records):
        if record["skill"] in ("position", "counting") and len(expanded(record)) == 1:
            g = record["geometry"][0]
            out[row] = torch.tensor([g["x"], g["y"], g["radius"]]) * (32.0 / resolution)
    return out


def permute_colours(
    images: torch.Tensor, classes: torch.Tensor, share: float, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Permute the RGB channels of a random `share` of the images; their colour targets become IGNORE.

    Returns:
        (images, classes, mask of the untouched images).

    Example:
        >>> images = torch.arange(6, dtype=torch.uint8).reshape(2, 3, 1, 1)
        >>> out, classes, kept = permute_colours(images, torch.zeros(2, len(HEAD_NAMES), dtype=torch.int64), 1.0,
        ...                                      torch.Generator().manual_seed(0))
        >>> kept.tolist(), sorted(out[0].flatten().tolist()), int(classes[0, _COLOUR_COLS[0]])
        ([False, False], [0, 1, 2], -100)
    """
    n = len(images)
    chosen = torch.rand(n, generator=gen) < share
    perm = _PERMUTATIONS[torch.randint(len(_PERMUTATIONS), (n,), generator=gen)]
    if not chosen.any():
        return images, classes, ~chosen
    images, classes = images.clone(), classes.clone()
    images[chosen] = torch.gather(images[chosen], 1, perm[chosen][:, :, None, None].expand(-1, -1, *images.shape[2:]))
    classes[chosen.nonzero()[:, 0][:, None], torch.tensor(_COLOUR_COLS)] = IGNORE
    return images, classes, ~chosen


def _offset(centre: float, extent: float, gen: torch.Generator) -> int:
    """A whole-pixel shift in [-REACH, REACH] that keeps [centre - extent, centre + extent] inside [0, 32]."""
    low, high = max(-REACH, math.ceil(extent - centre)), min(REACH, math.floor(32 - extent - centre))
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def _shifted(image: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    fill = image.flatten(1).median(1).values.to(torch.float32)
    padded = F.pad(image[None].float() - fill[:, None, None], (REACH,) * 4) + fill[:, None, None]
    return padded[0, :, REACH - dy : REACH - dy + 32, REACH - dx : REACH - dx + 32].to(image.dtype)


def shift_lone_objects(
    images: torch.Tensor, classes: torch.Tensor, radii: torch.Tensor, lone: torch.Tensor, share: float,
    gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Shift a random `share` of the lone-object images (edge pixels repeated into the gap).

    Args:
        images: uint8 (N,3,32,32); classes: (N, len(HEADS)); radii: (N, CELLS); lone: (N,3) from
            `lone_objects`; share: in [0,1]; gen: the training generator.

    Returns:
        (images, classes, radii, mask of the untouched images); shifted images keep only the targets of
        the lone-object and overlap heads.

    Example:
        >>> images = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
        >>> images[0, :, 14:18, 14:18] = 255  # a lone object at the centre
        >>> lone = torch.tensor([[16.0, 16.0, 2.0]])
        >>> classes = torch.zeros(1, len(HEAD_NAMES), dtype=torch.int64)
        >>> out, c, _, kept = shift_lone_objects(images, classes, torch.zeros(1, 4), lone, 1.0,
        ...                                      torch.Generator().manual_seed(1))
        >>> kept.tolist(), int(out[0, 0].sum()) == int(images[0, 0].sum()), int((c != IGNORE).sum())
        ([False], True, 4)
    """
    extent = _EXTENT * lone[:, 2:]
    inside = ((lone[:, :2] - extent >= 0) & (lone[:, :2] + extent <= 32)).all(1)  # False where NaN
    chosen = (torch.rand(len(images), generator=gen) < share) & inside
    if not chosen.any():
        return images, classes, radii, ~chosen
    images, classes, radii = images.clone(), classes.clone(), radii.clone()
    for i in chosen.nonzero()[:, 0].tolist():
        x, y, radius = lone[i].tolist()
        images[i] = _shifted(images[i], _offset(x, _EXTENT * radius, gen), _offset(y, _EXTENT * radius, gen))
        kept = classes[i, _KEPT_BY_SHIFT].clone()
        classes[i] = IGNORE
        classes[i, _KEPT_BY_SHIFT] = kept
        radii[i] = float("nan")
    return images, classes, radii, ~chosen
