"""Peak memory of streaming FD and CLIP-score state at 10k vs 100k samples (it must not grow with N).

Each measurement runs in a fresh subprocess that streams N random features (batches of 500) into
xmbench's FrechetDistance (d=2048) and CLIPScore (E=512), and reports the metric state's bytes and
the growth of peak RSS over the process's RSS before the first update. For contrast, the same for
torchmetrics' KernelInceptionDistance, whose state keeps every feature (grows with N). Prints the
100k/10k ratios. Usage: python benchmarks/metric_memory.py [--dim 2048] [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _state_bytes(metric) -> int:
    total = 0
    for name in metric._defaults:
        value = getattr(metric, name)
        total += sum(t.nbytes for t in value) if isinstance(value, list) else value.nbytes
    return total


def child(kind: str, n: int, dim: int) -> dict:
    import torch

    from xmbench.metrics.clip_score import CLIPScore
    from xmbench.metrics.fd import FrechetDistance

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    if kind == "fd":
        metric = FrechetDistance(dim)
    elif kind == "clip":
        metric = CLIPScore()
    else:
        from torchmetrics.image.kid import KernelInceptionDistance

        metric = KernelInceptionDistance(feature=torch.nn.Identity(), subset_size=100)
    batch = 500
    x = torch.randn(batch, dim if kind != "clip" else 512, generator=g)
    base = _peak_rss_mb()
    for _ in range(n // batch):
        x = torch.randn(x.shape, generator=g)
        if kind == "fd":
            metric.update(x)
        elif kind == "clip":
            metric.update(x, torch.randn(x.shape, generator=g))
        else:
            metric.update(x, real=False)
    return {"state_bytes": _state_bytes(metric), "rss_growth_mb": _peak_rss_mb() - base}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), int(args.child[2]))))
        return
    for kind, label in (
        ("fd", f"xmbench FrechetDistance d={args.dim}"),
        ("clip", "xmbench CLIPScore E=512"),
        ("tm_kid", f"torchmetrics KernelInceptionDistance d={args.dim} (peer, keeps features)"),
    ):
        rows = []
        for n in args.sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(n), str(args.dim)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        (a, b), (n1, n2) = rows, args.sizes
        print(
            f"{label}: state {a['state_bytes']:,} B at {n1:,} vs {b['state_bytes']:,} B at {n2:,} "
            f"(ratio {b['state_bytes'] / a['state_bytes']:.2f}x); peak RSS growth {a['rss_growth_mb']:.0f} MB "
            f"vs {b['rss_growth_mb']:.0f} MB (includes allocator temporaries)"
        )


if __name__ == "__main__":
    main()
