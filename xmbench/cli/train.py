"""`xmbench train BASELINE` and `xmbench baselines`."""

from __future__ import annotations

import argparse

from xmbench.cli.suites import add_suite_options, suite_options


def _baselines(args: argparse.Namespace) -> int:
    from baselines.registry import BASELINES, list_baselines

    for name, summary in list_baselines().items():
        kind = "train" if name in BASELINES else "calibration"
        print(f"{name:12s} {kind:12s} {summary}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from baselines.losses import get_loss
    from baselines.registry import as_suite, baseline_class
    from baselines.training import train_baseline

    baseline_class(args.baseline)  # unknown names fail before the data is rendered
    if args.loss is not None:
        get_loss(args.loss)
    suite = as_suite(args.suite, **suite_options(args))
    out = args.out or f"xmbench-out/train/{args.baseline}-{suite.name}-{suite.resolution}"
    options = {k: v for k, v in (("batch_size", args.batch_size), ("ema", args.ema)) if v is not None}
    path = train_baseline(args.baseline, suite, out, steps=args.steps, seed=args.seed, device=args.device,
                          loss=args.loss, quiet=args.quiet, checkpoint_every=args.checkpoint_every, **options)
    print(f"trained {args.baseline} on {suite.name}: checkpoint {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baselines", help="list the reference generators")
    p.set_defaults(func=_baselines)

    p = sub.add_parser("train", help="train a reference baseline (resumes from the last checkpoint in --out)")
    p.add_argument("baseline", help="gan-int-cls, stackgan or dfgan (see `xmbench baselines`)")
    p.add_argument("--suite", default="shapes", help="suite name or folder:PATH (default shapes)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the baseline's budget)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default cpu)")
    p.add_argument("--out", default=None, help="run folder (default xmbench-out/train/BASELINE-SUITE-RES)")
    p.add_argument("--loss", default=None, help="objective: hinge, bce, lsgan, wgan or wgan-gp")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--ema", type=float, default=None, help="EMA decay of generator weights (0 = off)")
    p.add_argument("--checkpoint-every", type=int, default=250, help="steps between checkpoints (default 250)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_suite_options(p)
    p.set_defaults(func=_train)
