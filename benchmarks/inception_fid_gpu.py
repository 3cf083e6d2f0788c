"""Inception FID throughput: xmbench's pipeline vs torch-fidelity's calculate_metrics, same images, same run.

Both use the same random-weight torch-fidelity InceptionV3 (no download) and the same two sets of N
uint8 images (smooth random colour fields, default 5,000 at 256x256, resized TF1-bilinear to 299).
Timed end to end as a user calls them: network construction, feature extraction of both sets and the
Fréchet distance (xmbench: float64 sums, symmetric eigvalsh on the device; torch-fidelity: numpy
eigvals on the CPU). Prints images/s for both (2N images per run), their ratio, and the FID agreement.

Usage: python benchmarks/inception_fid_gpu.py [--n 5000] [--size 256] [--batch-size 100] [--device cuda]
       python benchmarks/inception_fid_gpu.py --n 16 --size 64 --device cpu     # a quick CPU check
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import torch_fidelity

from xmbench.extractors.inception import InceptionExtractor, UInt8Images, random_weights
from xmbench.metrics.evaluator import Evaluator


def make_images(n: int, size: int, seed: int, chunk: int = 500) -> torch.Tensor:
    """uint8 (n,3,size,size): 8x8 random colour grids upsampled bilinearly, plus pixel noise (CPU)."""
    g = torch.Generator().manual_seed(seed)
    out = torch.empty((n, 3, size, size), dtype=torch.uint8)
    for lo in range(0, n, chunk):
        k = min(chunk, n - lo)
        coarse = torch.rand((k, 3, 8, 8), generator=g) * 255
        fine = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
        fine = fine + torch.randn((k, 3, size, size), generator=g) * 6
        out[lo : lo + k] = fine.round().clamp(0, 255).to(torch.uint8)
    return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_xmbench(
    weights: Path, generated: torch.Tensor, real: torch.Tensor, device: torch.device, batch_size: int
) -> tuple[float, dict[str, float]]:
    """FID through InceptionExtractor + Evaluator; returns (fid, timings in seconds)."""
    _sync(device)
    t0 = time.perf_counter()
    extractor = InceptionExtractor(weights, device)
    ev = Evaluator(extractor, ["fid"], bootstrap=0)
    _sync(device)
    t1 = time.perf_counter()
    for lo in range(0, real.shape[0], batch_size):
        ev.update_reference(real[lo : lo + batch_size].to(device, non_blocking=True))
    for lo in range(0, generated.shape[0], batch_size):
        ev.update(generated[lo : lo + batch_size].to(device, non_blocking=True))
    _sync(device)
    t2 = time.perf_counter()
    fid = ev.compute()["fid"].value
    _sync(device)
    t3 = time.perf_counter()
    return fid, {"build": t1 - t0, "extract": t2 - t1, "fd": t3 - t2, "total": t3 - t0}


def run_torch_fidelity(
    weights: Path, generated: torch.Tensor, real: torch.Tensor, device: torch.device, batch_size: int
) -> tuple[float, float]:
    """FID through torch_fidelity.calculate_metrics (its defaults, no cache); returns (fid, seconds)."""
    _sync(device)
    t0 = time.perf_counter()
    metrics = torch_fidelity.calculate_metrics(
        input1=UInt8Images(generated),
        input2=UInt8Images(real),
        fid=True,
        feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=str(weights),
        cuda=device.type == "cuda",
        batch_size=batch_size,
        cache=False,
        verbose=False,
    )
    _sync(device)
    return float(metrics["frechet_inception_distance"]), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="images per set (two sets: generated and real)")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels (299: no resize)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.cuda.init()
        torch.zeros(1, device=device).sum().item()  # create the context outside the timings
    generated, real = make_images(args.n, args.size, args.seed), make_images(args.n, args.size, args.seed + 1)
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "random-inception.pth"
        torch.save(random_weights(args.seed), weights)  # plain tensors: what torch-fidelity's loader expects
        # warm-up of both code paths on one batch (cuDNN autotuning, lazy initialisation), not timed
        warm = min(args.batch_size, args.n)
        run_xmbench(weights, generated[:warm], real[:warm], device, args.batch_size)
        run_torch_fidelity(weights, generated[:warm], real[:warm], device, args.batch_size)
        fid_x, t_x = run_xmbench(weights, generated, real, device, args.batch_size)
        fid_t, t_t = run_torch_fidelity(weights, generated, real, device, args.batch_size)
    images = 2 * args.n
    x_rate, t_rate = images / t_x["total"], images / t_t
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {name}; {args.n} + {args.n} images {args.size}x{args.size}; batch {args.batch_size}")
    print(f"{'pipeline':15s} {'images/s':>10s} {'seconds':>9s}  FID")
    print(
        f"{'xmbench':15s} {x_rate:10.1f} {t_x['total']:9.2f}  {fid_x:.6f}   "
        f"(build {t_x['build']:.2f}s, extract {t_x['extract']:.2f}s, FD {t_x['fd']:.2f}s)"
    )
    print(f"{'torch-fidelity':15s} {t_rate:10.1f} {t_t:9.2f}  {fid_t:.6f}")
    rel = abs(fid_x - fid_t) / max(abs(fid_t), 1e-12)
    print(f"ratio xmbench/torch-fidelity: {x_rate / t_rate:.2f}x; FID relative difference {rel:.2e}")
    print(
        json.dumps(
            {
                "device": name,
                "n": args.n,
                "size": args.size,
                "batch_size": args.batch_size,
                "xmbench_images_per_s": x_rate,
                "torch_fidelity_images_per_s": t_rate,
                "ratio": x_rate / t_rate,
                "fid_xmbench": fid_x,
                "fid_torch_fidelity": fid_t,
                "fid_rel_diff": rel,
                "xmbench_timings_s": t_x,
            }
        )
    )


if __name__ == "__main__":
    main()
