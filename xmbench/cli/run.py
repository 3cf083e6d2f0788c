"""`xmbench run`: the main job on the embedded default.

Until the runner lands this renders the shapes suite preview into the output folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xmbench.atomic import atomic_write_bytes
from xmbench.data import get_suite


def _run(args: argparse.Namespace) -> int:
    from xmbench.report.grid import caption_grid_png

    suite = get_suite("shapes")
    batch = suite.batch(suite.eval_split, range(16))
    path = atomic_write_bytes(Path(args.out) / "shapes-preview.png", caption_grid_png(batch.images, batch.captions))
    print(f"wrote the shapes suite preview to {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the main job on the embedded default")
    p.add_argument("--out", default="xmbench-out", help="output folder (default xmbench-out)")
    p.set_defaults(func=_run)
