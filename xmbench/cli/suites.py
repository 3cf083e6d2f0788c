"""`xmbench suites` and `xmbench preview`."""

from __future__ import annotations

import argparse

from xmbench.atomic import atomic_write_bytes
from xmbench.cli.types import count, count_or_zero
from xmbench.errors import XmbenchError


def add_suite_options(parser: argparse.ArgumentParser) -> None:
    """--resolution, shared by every command that opens a suite."""
    parser.add_argument("--resolution", type=count, default=None, help="image size in pixels (shapes: 32 or 64)")
    parser.add_argument("--root", default=None, help="dataset folder of a real suite (cub, oxford, coco2014, coco2017)")


def suite_options(args: argparse.Namespace) -> dict:
    options = {} if args.resolution is None else {"resolution": args.resolution}
    return options if getattr(args, "root", None) is None else {**options, "root": args.root}


def _suites(args: argparse.Namespace) -> int:
    from xmbench.data import get_suite, list_suites

    for name, summary in list_suites().items():
        try:
            suite = get_suite(name)
        except XmbenchError as e:  # a real suite whose local folder is absent
            print(f"{name:10s} {summary}\n{'':10s} not available: {e}")
            continue
        sizes = ", ".join(f"{k} {v}" for k, v in suite.splits.items())
        print(f"{name:10s} {summary}\n{'':10s} {suite.describe()}\n{'':10s} splits: {sizes}")
    print(f'{"folder:PATH":10s} a folder of images with captions.jsonl ({{"image": ..., "caption": ...}} per line)')
    return 0


def _preview(args: argparse.Namespace) -> int:
    from xmbench.data import get_suite
    from xmbench.outputs import PNG, check_output_file
    from xmbench.report.grid import caption_grid_png

    check_output_file(args.out, "--out", PNG)
    suite = get_suite(args.suite, **suite_options(args))
    split = args.split or suite.eval_split
    n = min(args.n, suite.size(split))
    batch = suite.batch(split, range(args.start, args.start + n))
    path = atomic_write_bytes(args.out, caption_grid_png(batch.images, batch.captions, columns=args.columns))
    print(f"wrote {n} samples of {suite.name}/{split} to {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suites", help="list the available suites")
    p.set_defaults(func=_suites)

    p = sub.add_parser("preview", help="write a captioned sample grid of a suite")
    p.add_argument("suite", help="suite name (see `xmbench suites`) or folder:PATH")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--split", default=None, help="split to show (default: the suite's evaluation split)")
    p.add_argument("--n", type=count, default=16, help="number of samples (default 16)")
    p.add_argument("--start", type=count_or_zero, default=0, help="first sample index")
    p.add_argument("--columns", type=count, default=4)
    add_suite_options(p)
    p.set_defaults(func=_preview)
