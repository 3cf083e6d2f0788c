"""The `xmbench` command line: one module per command group, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from xmbench import __version__, distributed
from xmbench.cli import evaluator, results, run, sanity, suites, train, weights
from xmbench.errors import XmbenchError

COMMAND_MODULES = [suites, run, train, evaluator, sanity, results, weights]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xmbench", description="Evaluate and benchmark text-to-image generators.")
    parser.add_argument("--version", action="version", version=f"xmbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 check failed, 2 user error)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except XmbenchError as e:
        # under torchrun a peer's failure is reported once by rank 0, not again by every other rank
        rank = distributed.launch_rank()
        if rank == 0 or not isinstance(e, distributed.PeerError):
            print(f"xmbench: error: {f'rank {rank}: ' if rank else ''}{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("xmbench: interrupted; nothing partial was written, rerun to resume", file=sys.stderr)
        return 130
