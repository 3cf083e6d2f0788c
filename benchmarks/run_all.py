"""Run every benchmark with the arguments behind the figures in docs/performance.md (`make bench`).

Each benchmark runs in its own process (so peak-memory figures and thread pools do not mix) and prints
its own ratio against its peer; a failing benchmark is reported and the others still run. With a
GPU (torch.cuda), the Inception benchmarks run on it too: the end-to-end FD+KID+IS comparison with
Inception at 10k + 10k images, and Inception FID throughput against torch-fidelity.

Usage: python benchmarks/run_all.py [--quick] [--only NAME ...]
  --quick: small sizes and one repeat (a smoke run of every script, minutes instead of an hour)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent

#: name -> (script, full arguments, quick arguments)
CPU: dict[str, tuple[str, list[str], list[str]]] = {
    "render": ("render_shapes.py", ["--repeats", "5"], ["--n", "200", "--repeats", "1"]),
    "fd": ("fd_speed.py", ["--repeats", "7"], ["--dim", "512", "--repeats", "1"]),
    "evaluator": ("evaluator_speed.py", ["--repeats", "3"], ["--n", "1000", "--subset-size", "500"]),
    "evaluator-shapes": (
        "evaluator_speed.py",
        ["--repeats", "3", "--extractor", "shapes-v1"],
        ["--n", "1000", "--subset-size", "500", "--extractor", "shapes-v1"],
    ),
    "memory": ("metric_memory.py", [], ["--dim", "256", "--sizes", "1000", "10000"]),
    "train": ("train_throughput.py", ["--repeats", "3"], ["--steps", "3", "--repeats", "1"]),
    "captions": ("caption_metrics_speed.py", ["--repeats", "3"], ["--n", "500", "--repeats", "1"]),
    "meteor": ("meteor_process.py", ["--repeats", "3"], ["--n", "200", "--models", "2", "--repeats", "1"]),
}
GPU: dict[str, tuple[str, list[str], list[str]]] = {
    "evaluator-inception": (
        "evaluator_speed.py",
        ["--repeats", "3", "--extractor", "inception", "--device", "cuda"],
        ["--n", "1000", "--subset-size", "500", "--extractor", "inception", "--device", "cuda"],
    ),
    "inception-fid": ("inception_fid_gpu.py", [], ["--n", "500"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=[*CPU, *GPU])
    args = ap.parse_args()
    plan = {**CPU, **(GPU if torch.cuda.is_available() else {})}
    if args.only:
        plan = {k: v for k, v in {**CPU, **GPU}.items() if k in args.only}
    failed = []
    for name, (script, full, quick) in plan.items():
        cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        if subprocess.run(cmd, cwd=HERE.parent).returncode != 0:
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - t0:.0f} s", flush=True)
    if not torch.cuda.is_available() and not args.only:
        print(f"(no GPU: skipped {', '.join(GPU)})")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
