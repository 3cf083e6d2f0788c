"""The `xmbench` command line: one module per command group, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from xmbench import __version__
from xmbench.cli import evaluator, results, run, sanity, score, suites, train, weights
from xmbench.cli.types import OneLineParser
from xmbench.errors import XmbenchError
from xmbench.warning_log import capture_warnings

COMMAND_MODULES = [suites, run, score, train, evaluator, sanity, results, weights]


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="xmbench", description="Evaluate and benchmark cross-modal generators: text to image and image to text."
    )
    parser.add_argument("--version", action="version", version=f"xmbench {__version__}")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="after a one-line error raised by your own model or plugin, also print its full traceback "
        "(also XMBENCH_TRACEBACK=1; accepted anywhere on the command line)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 check failed, 2 user error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_traceback = "--traceback" in argv or os.environ.get("XMBENCH_TRACEBACK", "").strip() not in ("", "0")
    args = build_parser().parse_args([a for a in argv if a != "--traceback"])
    try:
        with capture_warnings(quiet=bool(getattr(args, "quiet", False))):
            return int(args.func(args) or 0)
    except XmbenchError as e:
        # under torchrun a peer's failure is reported once by rank 0, not again by every other rank
        # (distributed imports torch: only a run under torchrun has loaded it, and can raise a PeerError)
        distributed = sys.modules.get("xmbench.distributed")
        rank = distributed.launch_rank() if distributed else 0
        if wants_traceback and e.__cause__ is not None:
            traceback.print_exception(e.__cause__, file=sys.stderr)
        if rank == 0 or not isinstance(e, distributed.PeerError):
            print(f"xmbench: error: {f'rank {rank}: ' if rank else ''}{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("xmbench: interrupted; nothing partial was written, rerun to resume", file=sys.stderr)
        return 130
