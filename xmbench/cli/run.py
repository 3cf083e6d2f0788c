"""`xmbench run [CONFIG]`: the main job (train or reuse, generate, evaluate, leaderboard, report)."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from xmbench import distributed as dist
    from xmbench.runner.config import default_configs, load_config
    from xmbench.runner.pipeline import RunPaths, run

    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    # without a config: the embedded text -> image run, then the embedded image -> text run
    configs = [load_config(args.config)] if args.config else default_configs()
    configs = [c.limited(args.limit) for c in configs]
    try:  # under torchrun: every rank runs, rank 0 gets the summaries (the others None) and prints
        for config in configs:
            paths = RunPaths.under(args.out, config.suite, results=args.results, leaderboard=args.leaderboard)
            _print(config.task, paths, run(config, paths, quiet=args.quiet))
    finally:
        dist.shutdown()
    return 0


def _print(task: str, paths, summary) -> None:
    if summary is None:
        return
    reused = f", {len(summary.reused)} reused from the cache" if summary.reused else ""
    print(f"{task}: {len(summary.records)} result records in {paths.results}{reused}")
    print(f"leaderboard: {summary.leaderboard} (+ {summary.leaderboard_csv.name})")
    print(f"report: {summary.report} (summary for PR comments: {summary.report_md})")
    print(f"done in {summary.seconds:.1f} s")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run the main job: train or reuse, generate, evaluate, leaderboard, report",
        description="Run a TOML config (default: the embedded shapes benchmarks, text -> image with the "
        "three reference GANs and the calibration generators, then image -> text with the calibration "
        "captioners). Every step is cached; rerunning after "
        "an interruption resumes where it stopped. Under torchrun (torchrun --nproc-per-node K "
        "-m xmbench run ...) the caption chunks are shared among the processes and "
        "rank 0 computes the metrics and writes every output.",
    )
    p.add_argument("config", nargs="?", default=None, help="TOML config (default: the embedded default)")
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="evaluate at most N captions (and N reference images): a quick look, recorded as its own protocol",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-model lines")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="torch CPU threads (default: torch's, which honours OMP_NUM_THREADS); on a busy machine 1 "
        "is often several times faster",
    )
    p.add_argument("--out", default="xmbench-out", help="output folder (default xmbench-out)")
    p.add_argument("--results", default=None, help="folder for result records (default OUT/results)")
    p.add_argument("--leaderboard", default=None, help="leaderboard Markdown file (default OUT/leaderboards/SUITE.md)")
    p.set_defaults(func=_run)
