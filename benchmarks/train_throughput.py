"""Training throughput of each baseline (images/s), against plain eager torch in the same run.

Ours: `baselines.training.train` (the wrapper the CLI uses: batch sampling from the cached uint8
split, per-step seeding, the Baseline's train_step with the loss module, finite checks), no
checkpoints. Peer: the GAN-INT-CLS step (same G, D and caption encoder, hinge, matching-aware D,
GAN-INT) written out as plain eager torch with a torch.randint batch and no wrapper. Every
baseline's figure is given as a ratio to that peer. Besides wall-clock images/s, the process CPU
time per image is printed: on a machine shared with other work, CPU-seconds estimate the
uncontended speed better than the wall clock (at 1 thread, uncontended wall ≈ CPU time).
Usage: python benchmarks/train_throughput.py [--steps 20] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F

from baselines.data import SplitTensors, load_split
from baselines.registry import BASELINES, get_baseline
from baselines.training import train
from xmbench.data.shapes import ShapesSuite


def _peer_step(model, opt_g, opt_d, images, ids, nz):
    g, d, enc = model.g["net"], model.d["net"], model.encoder
    n = images.shape[0]
    text = enc(ids)
    fake = g(torch.randn(n, nz), text.detach())
    d_loss = (
        F.relu(1 - d(images, text)).mean()
        + 0.5 * F.relu(1 + d(images, text.roll(1, 0))).mean()
        + 0.5 * F.relu(1 + d(fake.detach(), text)).mean()
    )
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    cond = text.detach()
    mid = 0.5 * (cond + cond.roll(1, 0))
    g_loss = -d(fake, cond).mean() - d(g(torch.randn(n, nz), mid), mid).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()


def _timed(fn) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    suite = ShapesSuite()
    data = load_split(suite, "train")
    small = SplitTensors(data.images[:4096], data.captions[:4096])
    results: dict[str, list[tuple[float, float]]] = {}
    batches: dict[str, int] = {}
    budgets: dict[str, int] = {}  # default steps x batch: images one default training sees

    peer_model = get_baseline("gan-int-cls", suite, captions=data.captions)
    batch = peer_model.options["batch_size"]
    opt_g = torch.optim.Adam(peer_model.g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(
        [*peer_model.d.parameters(), *peer_model.encoder.parameters()], lr=2e-4, betas=(0.5, 0.999)
    )
    ids_all = peer_model.tokenizer.encode(small.captions, peer_model.max_len)

    def peer_run():
        for _ in range(args.steps):
            idx = torch.randint(len(small.captions), (batch,))
            _peer_step(
                peer_model, opt_g, opt_d, small.images[idx].float() / 127.5 - 1, ids_all[idx], peer_model.options["nz"]
            )

    for _repeat in range(args.repeats):
        results.setdefault("peer: plain eager GAN-INT-CLS step", []).append(_timed(peer_run))
        batches["peer: plain eager GAN-INT-CLS step"] = batch
        for name in BASELINES:
            model = get_baseline(name, suite, captions=data.captions)
            batches[name] = model.options["batch_size"]
            budgets[name] = model.options["steps"] * batches[name]
            with tempfile.TemporaryDirectory() as tmp:
                results.setdefault(name, []).append(
                    _timed(
                        lambda model=model, tmp=tmp: train(
                            model,
                            suite,
                            small,
                            tmp,
                            steps=args.steps,
                            checkpoint_every=10**9,
                            log_every=10**9,
                            quiet=True,
                        )
                    )
                )
    peer_wall = statistics.median(w for w, _ in results["peer: plain eager GAN-INT-CLS step"])
    peer_rate = batch * args.steps / peer_wall
    print(f"threads={args.threads} steps={args.steps} repeats={args.repeats} (medians)")
    print(
        f"{'generator':40s} {'batch':>5s} {'images/s':>9s} {'CPU ms/image':>12s} {'vs peer':>8s} "
        f"{'default budget CPU s':>20s}"
    )
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        n = batches[name] * args.steps
        budget = f"{budgets[name] * cpu / n:20.0f}" if name in budgets else ""
        print(
            f"{name:40s} {batches[name]:5d} {n / wall:9.1f} {1000 * cpu / n:12.2f} {n / wall / peer_rate:7.2f}x "
            f"{budget}"
        )


if __name__ == "__main__":
    main()
