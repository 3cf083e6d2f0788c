"""`xmbench sanity`: the metric sanity ladder on the shapes suite."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from xmbench.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from xmbench.errors import unknown_name


def _sanity(args: argparse.Namespace) -> int:
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
    p.add_argument("--n", type=int, default=2000, help="evaluated images per level (default 2000)")
    p.add_argument("--n-ref", type=int, default=2000, help="reference images from the val split")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples of the clean FD's CI")
    p.add_argument("--axes", default=None, help="comma-separated subset of blur,noise,colour,mode_drop,caption_shuffle")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default; 1 on a busy machine)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--verbose", action="store_true", help="print every level's values")
    p.set_defaults(func=_sanity)
