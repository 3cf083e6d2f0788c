"""`xmbench train BASELINE` and `xmbench baselines`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xmbench.cli.suites import add_suite_options, suite_options
from xmbench.cli.types import count, unit_fraction
from xmbench.errors import InputError


def _baselines(args: argparse.Namespace) -> int:
    from baselines.registry import BASELINES, list_baselines

    for name, summary in list_baselines().items():
        kind = "train" if name in BASELINES else "calibration"
        print(f"{name:12s} {kind:12s} {summary}")
    return 0


def _parse_options(items: list[str]) -> dict[str, Any]:
    """KEY=VALUE strings -> options; VALUE is read as JSON when it parses (8, 0.5, true, [0, 0.9]),
    else kept as a string (joint)."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--option {item!r} is not KEY=VALUE; write e.g. --option ngf=64")
        if key == "steps":
            raise InputError(f"--option {item!r}: the training budget is --steps N, not an option")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options


def _from_recipe(args: argparse.Namespace) -> tuple[Any, int, int, dict[str, Any]]:
    """(suite, steps, seed, options) of the shipped recipe `args.recipe` ("shipped": the baseline's own)."""
    from baselines.registry import as_suite
    from baselines.shipped import get_shipped, training_arguments

    fixed = [("--steps", args.steps), ("--seed", args.seed), ("--loss", args.loss), ("--batch-size", args.batch_size)]
    fixed += [("--ema", args.ema), ("--train-limit", args.train_limit), ("--resolution", args.resolution)]
    fixed += [("--until-plateau", args.until_plateau or None)]
    given = [flag for flag, value in fixed if value is not None] + (["--option"] if args.option else [])
    if given:
        raise InputError(f"--recipe fixes the whole training; drop {given[0]} or train without --recipe")
    shipped = get_shipped(args.baseline if args.recipe == "shipped" else args.recipe)
    recipe = training_arguments(shipped.recipe)
    if recipe["name"] != args.baseline:
        raise InputError(
            f"recipe {shipped.name!r} trains {recipe['name']!r}, not {args.baseline!r}; "
            f"run `xmbench train {recipe['name']} --recipe {shipped.name}`"
        )
    if args.suite != recipe["suite"]:
        raise InputError(f"recipe {shipped.name!r} trains on suite {recipe['suite']!r}; drop --suite {args.suite}")
    suite = as_suite(recipe["suite"], **recipe["suite_options"])
    if suite.protocol() != shipped.recipe["suite"]:
        raise InputError(
            f"suite {suite.name!r} here is not the one recipe {shipped.name!r} was trained on "
            f"({suite.protocol()} against {shipped.recipe['suite']}); install the xmbench version "
            f"{shipped.recipe['xmbench_version']} that shipped it"
        )
    return suite, recipe["steps"], recipe["seed"], recipe["options"]


def _progress(args: argparse.Namespace, suite: Any, options: dict[str, Any]) -> dict[str, Any]:
    """train_baseline's eval_every / eval_hook / until for --eval-every and --until-plateau."""
    from baselines.captioners.base import COMMON_DEFAULTS
    from baselines.plateau import plateaued
    from baselines.progress import progress_hook, progress_key
    from baselines.registry import baseline_class
    from xmbench import distributed as dist

    if args.until_plateau and not args.eval_every:
        raise InputError("--until-plateau stops on the evaluation curve; add --eval-every N (e.g. 500)")
    if not args.eval_every:
        return {}
    if suite.name != "shapes":
        raise InputError(f"--eval-every scores with the shapes-v1 evaluator, not on suite {suite.name!r}; drop it")
    cls = baseline_class(args.baseline)
    if args.until_plateau:
        if dist.launched():
            raise InputError("--until-plateau trains in one process; run it without torchrun or drop it")
        schedule = options.get("schedule", COMMON_DEFAULTS["schedule"]) if hasattr(cls, "caption") else None
        if schedule == "cosine":
            raise InputError(
                "--until-plateau needs a learning rate that does not depend on --steps; "
                "add --option schedule=constant or drop --until-plateau"
            )
    key = progress_key(cls)
    until = (lambda rows: plateaued(rows, key)) if args.until_plateau else None
    hook = progress_hook(suite, **({"samples": args.eval_samples} if args.eval_samples else {}))
    return {"eval_every": args.eval_every, "eval_hook": hook, "until": until}


def _train(args: argparse.Namespace) -> int:
    from baselines.losses import get_loss
    from baselines.registry import as_suite, baseline_class
    from baselines.training import train_baseline
    from xmbench import distributed as dist
    from xmbench.outputs import check_output_folder

    if args.out is not None:
        check_output_folder(args.out, "--out")
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    baseline_class(args.baseline)  # unknown names fail before the data is rendered
    from xmbench.runner.environment import resolve_device

    resolve_device(args.device)  # a device that is not there (cuda:7 on a one-GPU machine) is one line
    if args.loss is not None:
        get_loss(args.loss)
    if args.recipe is not None:
        suite, steps, seed, options = _from_recipe(args)
    else:
        suite, steps, seed = as_suite(args.suite, **suite_options(args)), args.steps, args.seed or 0
        options = {
            **_parse_options(args.option),
            **{k: v for k, v in (("batch_size", args.batch_size), ("ema", args.ema)) if v is not None},
        }
    out = args.out if args.out is not None else f"xmbench-out/train/{args.baseline}-{suite.name}-{suite.resolution}"
    if args.loss is not None:
        options["loss"] = args.loss
    progress = _progress(args, suite, options)
    try:  # under torchrun every rank trains a DDP replica; rank 0 writes the run folder and prints
        path = train_baseline(
            args.baseline,
            suite,
            out,
            steps=steps,
            seed=seed,
            device=args.device,
            quiet=args.quiet,
            checkpoint_every=args.checkpoint_every,
            train_limit=args.train_limit,
            **progress,
            **options,
        )
        if dist.is_main():
            world = f" ({dist.world_size()} processes)" if dist.is_distributed() else ""
            print(f"trained {args.baseline} on {suite.name}{world}: checkpoint {path}")
    finally:
        dist.shutdown()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baselines", help="list the reference generators")
    p.set_defaults(func=_baselines)

    p = sub.add_parser(
        "train",
        help="train a reference baseline (resumes from the last checkpoint in --out)",
        description="Train a reference baseline; rerun to resume. Under torchrun "
        "(torchrun --nproc-per-node K -m xmbench train ...) it trains with "
        "DistributedDataParallel: --batch-size per process, rank 0 writes.",
    )
    p.add_argument("baseline", help="gan-int-cls, stackgan or dfgan (see `xmbench baselines`)")
    p.add_argument("--suite", default="shapes", help="suite name or folder:PATH (default shapes)")
    p.add_argument("--steps", type=count, default=None, help="training steps (default: the baseline's budget)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default cpu)")
    p.add_argument("--out", default=None, help="run folder (default xmbench-out/train/BASELINE-SUITE-RES)")
    p.add_argument("--loss", default=None, help="objective: hinge, bce, lsgan, wgan or wgan-gp")
    p.add_argument("--seed", type=int, default=None, help="training seed (default 0)")
    p.add_argument(
        "--recipe",
        default=None,
        metavar="NAME",
        help="train exactly the recipe of a shipped checkpoint: 'shipped' (the baseline's own, "
        "e.g. `xmbench train dfgan --recipe shipped`) or a shipped name; fixes steps, seed, options and suite",
    )
    p.add_argument(
        "--batch-size",
        type=count,
        default=None,
        help="images per step and per process (under torchrun the global batch is nproc x this)",
    )
    p.add_argument("--ema", type=unit_fraction, default=None, help="EMA decay of generator weights (0 = off)")
    p.add_argument("--checkpoint-every", type=count, default=250, help="steps between checkpoints (default 250)")
    p.add_argument(
        "--train-limit",
        type=count,
        default=None,
        metavar="N",
        help="train on the first N training images only (quick checks)",
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any baseline option, e.g. --option ngf=64 --option text_encoder=joint (repeatable)",
    )
    p.add_argument(
        "--eval-every",
        type=count,
        default=None,
        metavar="N",
        help="every N steps, score the model on the first --eval-samples validation samples "
        "(attribute accuracy or caption correctness, with a bootstrap interval) into the curves",
    )
    p.add_argument("--eval-samples", type=count, default=None, metavar="M", help="validation samples (default 2000)")
    p.add_argument(
        "--until-plateau",
        action="store_true",
        help="stop at the plateau of the --eval-every curve (its last quarter inside the last value's "
        "interval); --steps is then the maximum",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--threads",
        type=count,
        default=None,
        metavar="N",
        help="torch CPU threads (default: torch's, which honours OMP_NUM_THREADS); 1 on a busy machine",
    )
    add_suite_options(p)
    p.set_defaults(func=_train)
