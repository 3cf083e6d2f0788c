"""`xmbench train-evaluator` (train the shapes-v1 or shapes-skills-v1 evaluator) and `xmbench extractors`
(list the registry)."""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any

from xmbench.atomic import atomic_write_json
from xmbench.cli.types import count, count_or_zero

#: default epochs of `xmbench train-evaluator` (the shipped weights used this)
TRAIN_EPOCHS = 16
#: default epochs of `xmbench train-evaluator --suite shapes-skills` (the shipped weights used this)
SKILLS_TRAIN_EPOCHS = 12
#: the evaluator each suite trains, by --suite
EVALUATORS = {"shapes": "shapes-v1", "shapes-skills": "shapes-skills-v1"}


def _extractors(args: argparse.Namespace) -> int:
    from xmbench.extractors import list_extractors

    extractors = sorted(list_extractors().items())
    width = max(len(name) for name, _ in extractors)
    for name, summary in extractors:
        print(f"{name:{width}s}  {summary}")
    return 0


def _train_evaluator(args: argparse.Namespace) -> int:
    from xmbench.extractors.shapes_v1.weights import sidecar
    from xmbench.outputs import JSON, SAFETENSORS, check_output_file

    if args.out is None:
        args.out = f"xmbench-out/{EVALUATORS[args.suite]}.safetensors"
    check_output_file(args.out, "--out", SAFETENSORS)
    check_output_file(sidecar(args.out), "the JSON beside --out", JSON)
    if args.suite == "shapes-skills":
        return _train_skills_evaluator(args)
    args.epochs = args.epochs or TRAIN_EPOCHS

    import torch

    from xmbench.data import get_suite
    from xmbench.extractors.shapes_v1 import ShapesV1Extractor
    from xmbench.extractors.shapes_v1.train import TrainConfig, train
    from xmbench.extractors.shapes_v1.weights import save_weights
    from xmbench.sanity.targets import measure_targets

    if args.threads:
        torch.set_num_threads(args.threads)
    config = TrainConfig(
        seed=args.seed,
        epochs=args.epochs,
        limit=args.limit,
        **({} if args.colour_aug is None else {"colour_aug": args.colour_aug}),
    )
    start = time.perf_counter()
    model, tokenizer, history = train(config, log=print)
    sha = save_weights(model, tokenizer, args.out)
    extractor = ShapesV1Extractor(args.out, sha256=sha)
    suite = get_suite("shapes", resolution=config.resolution, seed=config.suite_seed)
    targets = {
        split: measure_targets(extractor, suite, split, limit=args.eval_limit, seed=args.seed)
        for split in ("test", "compositional")
    }
    _write_record(args, "shapes-v1", sha, history, targets, start)
    return 0


def _write_record(
    args: argparse.Namespace,
    name: str,
    sha: str,
    history: dict[str, Any],
    targets: dict[str, Any],
    start: float,
    **extra: Any,
) -> None:
    """Write the evaluator's JSON beside its weights (training, measured targets, machine) and print it."""
    import torch

    from xmbench.extractors.shapes_v1.weights import sidecar

    record = {
        "id": name,
        "sha256": sha,
        "seed": args.seed,
        "training": history["config"],
        "train_seconds": round(history["seconds"], 1),
        "epochs": history["epochs"],
        "targets": targets,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        **extra,
    }
    atomic_write_json(sidecar(args.out), record)
    print(f"wrote {args.out} (sha256 {sha[:12]}...) and {sidecar(args.out)}; total {time.perf_counter() - start:.0f}s")
    for split, t in targets.items():
        acc = ", ".join(f"{k} {v:.4f}" for k, v in t["attribute_accuracy"].items())
        spread = f" ± {t['r_precision']['std']:.4f}" if "std" in t["r_precision"] else ""
        print(f"{split}: {acc}; R-precision {t['r_precision']['mean']:.4f}{spread}")


def _train_skills_evaluator(args: argparse.Namespace) -> int:
    import torch

    from xmbench.data.shapes_skills import ShapesSkillsSuite
    from xmbench.extractors.shapes_skills_v1 import ShapesSkillsV1Extractor
    from xmbench.extractors.shapes_skills_v1.train import TrainConfig, train
    from xmbench.extractors.shapes_skills_v1.weights import save_weights
    from xmbench.sanity.targets import measure_skills_targets

    if args.threads:
        torch.set_num_threads(args.threads)
    config = TrainConfig(
        seed=args.seed,
        epochs=args.epochs or SKILLS_TRAIN_EPOCHS,
        limit=args.limit,
        **({} if args.colour_aug is None else {"colour_aug": args.colour_aug}),
    )
    start, cpu = time.perf_counter(), time.process_time()
    model, tokenizer, history = train(config, log=print)
    train_cpu = time.process_time() - cpu
    sha = save_weights(model, tokenizer, args.out)
    extractor = ShapesSkillsV1Extractor(args.out, sha256=sha)
    # measured on a suite seed the training never saw
    suite = ShapesSkillsSuite(seed=config.suite_seed + 1)
    splits = ["test", *(s for s in suite.splits if s.startswith("compositional-"))]
    targets = {s: measure_skills_targets(extractor, suite, s, limit=args.eval_limit, seed=args.seed) for s in splits}
    extra = {"train_cpu_seconds": round(train_cpu, 1), "targets_suite_seed": suite.seed}
    _write_record(args, "shapes-skills-v1", sha, history, targets, start, **extra)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extractors", help="list the registered feature extractors")
    p.set_defaults(func=_extractors)

    p = sub.add_parser("train-evaluator", help="train the shapes-v1 (or shapes-skills-v1) evaluator and measure it")
    p.add_argument(
        "--suite",
        choices=sorted(EVALUATORS),
        default="shapes",
        help="the suite whose evaluator to train: shapes (shapes-v1, default) or shapes-skills (shapes-skills-v1)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="weights file to write (default xmbench-out/<evaluator>.safetensors); the JSON with hash, config "
        "and targets goes beside it",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--epochs",
        type=count,
        default=None,
        help=f"default {TRAIN_EPOCHS} (shapes), {SKILLS_TRAIN_EPOCHS} (shapes-skills)",
    )
    p.add_argument("--limit", type=count, default=None, help="train on the first N train images (quick runs)")
    p.add_argument("--eval-limit", type=count, default=None, help="measure targets on the first N images per split")
    p.add_argument(
        "--colour-aug",
        type=float,
        default=None,
        help="share of training images with permuted RGB channels (default: TrainConfig's)",
    )
    p.add_argument("--threads", type=count_or_zero, default=0, help="torch CPU threads (0: torch's default)")
    p.set_defaults(func=_train_evaluator)
