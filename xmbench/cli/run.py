"""`xmbench run [CONFIG]`: the main job (train or reuse, generate, evaluate, leaderboard, report)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from xmbench.cli.types import count


def _run(args: argparse.Namespace) -> int:
    from xmbench.outputs import check_given
    from xmbench.runner.config import default_configs, load_config

    check_given(args.out, "--out")  # as typed: "" would silently mean the working folder or the default
    check_given(args.results, "--results")
    check_given(args.leaderboard, "--leaderboard", file=True)
    # without a config: the embedded text -> image run, then the embedded image -> text run
    configs = [load_config(args.config)] if args.config else default_configs()
    configs = [c.limited(args.limit) for c in configs]
    if args.config is not None:  # `import = "mymodel:Factory"` finds modules beside the config file
        folder = str(Path(args.config).resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
    if not args.quiet and os.environ.get("RANK", "0") == "0":  # said before torch and the metrics load
        for config in configs:
            print(plan_line(config, args.out), flush=True)

    from xmbench import distributed as dist
    from xmbench.runner.pipeline import RunPaths, run

    runs = [(c, RunPaths.under(args.out, c.suite, results=args.results, leaderboard=args.leaderboard)) for c in configs]
    for config, paths in runs:
        check_run_outputs(paths, config.task)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    try:  # under torchrun: every rank runs, rank 0 gets the summaries (the others None) and prints
        for config, paths in runs:
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


def plan_line(config, out) -> str:
    """What a run will do, in one line, printed before the heavy imports."""
    names = [m.name for m in config.models]
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    metrics = ", ".join(config.metrics) if config.metrics else "every metric of the extractor"
    return (
        f"xmbench run, {config.task}: {len(names)} model{'s' if len(names) != 1 else ''} ({shown}) on "
        f"{config.suite}, {config.samples} samples, extractor {config.extractor}, {metrics}, device {config.device}; "
        f"writing to {out}"
    )


def check_run_outputs(paths, task: str = "text-to-image") -> None:
    """One line, before any work, for an output a run of `task` could not write as named (a file where a
    folder goes, a folder or link where a file goes, a name too long or in another format's extension)
    or two outputs on one path. An image -> text run's leaderboard and reports carry CAPTIONING_SUFFIX."""
    from xmbench.outputs import CSV, HTML, MARKDOWN, check_distinct, check_output_file, check_output_folder
    from xmbench.results.publish import csv_path_for
    from xmbench.runner.publish import CAPTIONING_SUFFIX

    for folder, what in ((paths.out, "--out"), (paths.results, "--results"), (paths.cache, "the cache folder")):
        check_output_folder(folder, what)
    suffix = CAPTIONING_SUFFIX if task == "image-to-text" else ""
    leaderboard, report = (p.with_name(f"{p.stem}{suffix}{p.suffix}") for p in (paths.leaderboard, paths.report))
    files = {
        "--leaderboard": (leaderboard, MARKDOWN),
        "the leaderboard CSV": (csv_path_for(leaderboard), CSV),
        "the report": (report, HTML),
        "the report summary": (report.with_suffix(".md"), MARKDOWN),
    }
    for what, (path, suffixes) in files.items():
        check_output_file(path, what, suffixes)
    check_distinct({what: path for what, (path, _) in files.items()})
    check_results_folder(paths.results)


def check_results_folder(results: Path) -> None:
    """One line, before any work, for a JSON file in the results folder that is not a result record
    (the leaderboard is rebuilt from every *.json there); damaged records of this run are rewritten."""
    import json

    from xmbench.errors import InputError
    from xmbench.results.io import MAX_RECORD_BYTES
    from xmbench.results.schema import SCHEMA
    from xmbench.textfile import read_bytes_bounded

    if not results.is_dir():
        return
    for path in sorted(results.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            obj = json.loads(read_bytes_bounded(path, MAX_RECORD_BYTES, "result record"))
        except (ValueError, InputError):
            continue  # damaged: rewritten if it is this run's, reported by the leaderboard otherwise
        if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
            raise InputError(
                f"{path} is not an xmbench result record; move it out of {results} (the leaderboard is built "
                "from every *.json there)"
            )


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
        type=count,
        default=None,
        metavar="N",
        help="evaluate at most N captions (and N reference images): a quick look, recorded as its own protocol",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-model lines")
    p.add_argument(
        "--threads",
        type=count,
        default=None,
        metavar="N",
        help="torch CPU threads (default: torch's, which honours OMP_NUM_THREADS); on a busy machine 1 "
        "is often several times faster",
    )
    p.add_argument("--out", default="xmbench-out", help="output folder (default xmbench-out)")
    p.add_argument("--results", default=None, help="folder for result records (default OUT/results)")
    p.add_argument("--leaderboard", default=None, help="leaderboard Markdown file (default OUT/leaderboards/SUITE.md)")
    p.set_defaults(func=_run)
