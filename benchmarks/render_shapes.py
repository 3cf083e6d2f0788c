"""Rendering throughput of the shapes suite (images/s), against PIL ImageDraw with 4x supersampling.

The peer draws the same scenes (same geometry and colours, flat background) the usual way: draw at
4x and downsample with a box filter. Prints medians of several repeats and the ratio.
Usage: python benchmarks/render_shapes.py [--n 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from PIL import Image, ImageDraw

from xmbench.data.shapes import ShapesSuite
from xmbench.data.shapes.vocabulary import COLOUR_RGB


def _pil_render(record: dict, resolution: int, ss: int = 4) -> np.ndarray:
    im = Image.new("RGB", (resolution * ss, resolution * ss), (50, 50, 55))
    draw = ImageDraw.Draw(im)
    for obj, geo in zip(record["objects"], record["geometry"], strict=False):
        x, y, r = geo["x"] * ss, geo["y"] * ss, geo["radius"] * ss
        fill = tuple(int(255 * c) for c in COLOUR_RGB[obj["colour"]])
        if obj["shape"] == "circle":
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
        elif obj["shape"] == "square":
            draw.rectangle([x - 0.82 * r, y - 0.82 * r, x + 0.82 * r, y + 0.82 * r], fill=fill)
        elif obj["shape"] == "cross":
            t = 0.36 * r
            draw.rectangle([x - r, y - t, x + r, y + t], fill=fill)
            draw.rectangle([x - t, y - r, x + t, y + r], fill=fill)
        elif obj["shape"] == "diamond":
            draw.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=fill)
        else:
            draw.polygon([(x, y - r), (x + 0.87 * r, y + 0.5 * r), (x - 0.87 * r, y + 0.5 * r)], fill=fill)
    return np.asarray(im.resize((resolution, resolution), Image.Resampling.BOX))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    for resolution in (32, 64):
        suite = ShapesSuite(resolution=resolution)
        records = [suite.get("train", i).attributes for i in range(args.n)]
        ours, peer = [], []
        for rep in range(args.repeats):
            t = time.perf_counter()
            suite.batch("train", range(rep * args.n, (rep + 1) * args.n))
            ours.append(args.n / (time.perf_counter() - t))
            t = time.perf_counter()
            for rec in records:
                _pil_render(rec, resolution)
            peer.append(args.n / (time.perf_counter() - t))
        o, p = statistics.median(ours), statistics.median(peer)
        print(
            f"shapes render {resolution}x{resolution}: xmbench {o:,.0f} images/s (full sample: image, caption, "
            f"record); PIL 4x-supersampled draw {p:,.0f} images/s (image only); ratio {o / p:.2f}x"
        )


if __name__ == "__main__":
    main()
