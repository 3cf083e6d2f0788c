"""`xmbench sanity`: the metric sanity ladder on the shapes suite."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from xmbench.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from xmbench.cli.types import count, count_or_zero
from xmbench.errors import unknown_name


def _caption_sanity(args: argparse.Namespace) -> int:
    from xmbench.data.shapes import ShapesSuite
    from xmbench.extractors import get_extractor
    from xmbench.sanity.caption_ladder import (
        CAPTION_EDITS,
        CaptionLadderConfig,
        markdown_table,
        run_caption_ladder,
        summarise_captions,
    )

    edits = tuple(args.axes.split(",")) if args.axes else CAPTION_EDITS
    unknown = [e for e in edits if e not in CAPTION_EDITS]
    if unknown:
        raise unknown_name("caption edit", unknown[0], CAPTION_EDITS)
    extractor = get_extractor(args.extractor, **({"weights": args.weights} if args.weights else {}))
    config = CaptionLadderConfig(n=args.n, seed=args.seed, edits=edits)
    table = run_caption_ladder(extractor, ShapesSuite(), config, log=print if args.verbose else lambda s: None)
    summary = summarise_captions(table)
    out = Path(args.out)
    atomic_write_text(out / "caption-sanity-levels.csv", table.to_csv(index=False))
    atomic_write_text(out / "caption-sanity-summary.csv", summary.to_csv(index=False))
    atomic_write_text(out / "caption-sanity.md", markdown_table(summary) + "\n")
    atomic_write_json(
        out / "caption-sanity.json",
        {
            "extractor": extractor.info.id,
            "weights_hash": extractor.info.weights_hash,
            "config": asdict(config),
            "summary": summary.to_dict("records"),
        },
    )
    print(markdown_table(summary))
    print(
        f"wrote {out / 'caption-sanity-summary.csv'}, {out / 'caption-sanity-levels.csv'}, {out / 'caption-sanity.md'}"
    )
    return 1 if args.strict and summary["ok"].eq(False).sum() else 0


def _sanity(args: argparse.Namespace) -> int:
    from xmbench.outputs import check_output_folder

    check_output_folder(args.out, "--out")
    if args.captions:
        return _caption_sanity(args)
    from xmbench.data import get_suite
    from xmbench.extractors import get_extractor
    from xmbench.sanity.ladder import AXES, LadderConfig, plot_png, run_ladder, summarise

    axes = tuple(args.axes.split(",")) if args.axes else tuple(AXES)
    unknown = [a for a in axes if a not in AXES]
    if unknown:
        raise unknown_name("sanity axis", unknown[0], AXES)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    options = {"weights": args.weights} if args.weights else {}
    extractor = get_extractor(args.extractor, **options)
    suite = get_suite("shapes", resolution=extractor.info.input_size or 32)
    config = LadderConfig(n_eval=args.n, n_ref=args.n_ref, seed=args.seed, bootstrap=args.bootstrap, axes=axes)
    table, fd_clean = run_ladder(extractor, suite, config, log=print if args.verbose else lambda s: None)
    summary = summarise(table, fd_clean)
    out = Path(args.out)
    atomic_write_text(out / "sanity-levels.csv", table.to_csv(index=False))
    atomic_write_text(out / "sanity-summary.csv", summary.to_csv(index=False))
    atomic_write_bytes(out / "sanity.png", plot_png(table))
    atomic_write_json(
        out / "sanity.json",
        {
            "extractor": extractor.info.id,
            "weights_hash": extractor.info.weights_hash,
            "config": asdict(config),
            "fd_clean_ci": fd_clean,
            "summary": summary.to_dict("records"),
        },
    )
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(
        f"wrote {out / 'sanity-summary.csv'}, {out / 'sanity-levels.csv'}, {out / 'sanity.png'}, {out / 'sanity.json'}"
    )
    failed = summary["ok"].eq(False).sum()
    return 1 if args.strict and failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sanity", help="metric sanity ladder: degrade real images/captions, check metrics follow")
    p.add_argument("--out", default="xmbench-out/sanity", help="folder for the table, CSV, JSON and PNG")
    p.add_argument("--extractor", default="shapes-v1")
    p.add_argument("--weights", default=None, help="weights file for the extractor (default: the shipped one)")
    p.add_argument("--n", type=count, default=2000, help="evaluated images per level (default 2000)")
    p.add_argument("--n-ref", type=count, default=2000, help="reference images from the val split")
    p.add_argument("--bootstrap", type=count_or_zero, default=200, help="bootstrap resamples of the clean FD's CI")
    p.add_argument("--axes", default=None, help="comma-separated subset of blur,noise,colour,mode_drop,caption_shuffle")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads", type=count_or_zero, default=0, help="torch CPU threads (0: torch's default; 1 on a busy machine)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument(
        "--captions",
        action="store_true",
        help="the caption ladder instead: edit real captions (axes: colour,shape,relation,drop_word,truncate,"
        "shuffle) and check every caption metric falls",
    )
    p.add_argument("--verbose", action="store_true", help="print every level's values")
    p.set_defaults(func=_sanity)
