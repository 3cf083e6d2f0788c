"""Rendering of shapes-skills scenes: v1's anti-aliased shapes, with textures, composited back to front.

Shapes use v1's signed distances (`xmbench.data.shapes.render`). A texture is a pattern of light paint
(the object's colour mixed 60% towards white) over the object's colour: stripes 2 px wide every 4 px
at one of four orientations, or dots of radius 1.1 px on a 4 px grid (at 32 px; both scale with the
resolution), each at a random phase, anti-aliased like the edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xmbench.data.shapes.render import pixel_grid, signed_distance

#: light paint of textures: colour * (1 - LIGHT) + LIGHT
LIGHT = 0.6
_PERIOD = 4.0
_DOT_RADIUS = 1.1


@dataclass(frozen=True)
class Paint:
    """How one object is drawn: shape, RGB float (3,) in [0,1], texture, and the texture's pattern
    (orientation in radians for stripes, phase in periods (2,) for both)."""

    shape: str
    rgb: np.ndarray
    texture: str = "solid"
    angle: float = 0.0
    phase: tuple[float, float] = (0.0, 0.0)


def coverage(shape: str, x: float, y: float, radius: float, resolution: int) -> np.ndarray:
    """Share of each pixel the shape covers: float64 (H,W) in [0,1] (box-filter anti-aliasing).

    Example:
        >>> float(coverage("circle", 16.0, 16.0, 4.0, 32).sum().round(1))  # pi (0.95 * 4) ** 2 = 45.4
        45.1
    """
    gx, gy = pixel_grid(resolution)
    return np.clip(0.5 - signed_distance(shape, gx - x, gy - y, radius), 0.0, 1.0)


def pattern(paint: Paint, resolution: int) -> np.ndarray:
    """Share of each pixel painted light by the texture: float64 (H,W) in [0,1]; zero for solid.

    Example:
        >>> stripes = pattern(Paint("circle", np.zeros(3), "striped"), 32)
        >>> float(stripes.mean().round(2)), float(pattern(Paint("circle", np.zeros(3)), 32).max())
        (0.5, 0.0)
    """
    gx, gy = pixel_grid(resolution)
    period = _PERIOD * resolution / 32.0
    if paint.texture == "solid":
        return np.zeros_like(gx)
    if paint.texture == "striped":
        u = (gx * np.cos(paint.angle) + gy * np.sin(paint.angle)) / period + paint.phase[0]
        # distance (pixels) from the centre line of the nearest light band, bands half a period wide
        d = np.abs(np.mod(u, 1.0) - 0.5) * period
        return np.clip(period / 4.0 + 0.5 - d, 0.0, 1.0)
    if paint.texture == "dotted":
        dx = (np.mod(gx / period + paint.phase[0], 1.0) - 0.5) * period
        dy = (np.mod(gy / period + paint.phase[1], 1.0) - 0.5) * period
        return np.clip(_DOT_RADIUS * resolution / 32.0 + 0.5 - np.hypot(dx, dy), 0.0, 1.0)
    raise ValueError(f"no renderer for texture {paint.texture!r}")


def render_objects(geometry: list[dict[str, float]], paints: list[Paint], background: np.ndarray) -> np.ndarray:
    """Composite objects over a background in list order (later objects in front).

    Args:
        geometry: per object {"x", "y", "radius"} in pixels.
        paints: per object, how it is drawn.
        background: float64 (3,H,W) in [0,1].

    Returns:
        uint8 (3,H,W).

    Example:
        >>> bg = np.zeros((3, 32, 32))
        >>> red, blue = Paint("square", np.array([1.0, 0, 0])), Paint("circle", np.array([0, 0, 1.0]))
        >>> image = render_objects([{"x": 12, "y": 16, "radius": 6}, {"x": 20, "y": 16, "radius": 6}], [red, blue], bg)
        >>> image[:, 16, 16].tolist()  # where they overlap, the later (blue) circle is in front
        [0, 0, 255]
    """
    resolution = background.shape[-1]
    image = background.copy()
    for geo, paint in zip(geometry, paints, strict=True):
        alpha = coverage(paint.shape, geo["x"], geo["y"], geo["radius"], resolution)
        light = pattern(paint, resolution)
        fill = paint.rgb[:, None, None] * (1.0 - LIGHT * light) + LIGHT * light
        image = image * (1.0 - alpha) + fill * alpha
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
