"""End to end: FD + KID + IS on 10k generated and 10k real images with one shared extractor.

xmbench: one `Evaluator(extractor, ["fd", "kid", "is"])`, one extractor pass per batch for all
three metrics (bootstrap=0, as the peers compute no CIs; `--fd-bootstrap K` adds a line timing an
FD bootstrap CI with K resamples, each one N·d² flops plus a d×d eigvalsh). Peer: torchmetrics'
FrechetInceptionDistance, KernelInceptionDistance and InceptionScore, each given the same extractor
as its `feature` module and the same images (so the generated images go through the extractor three
times, the real ones twice). Same KID protocol
(100 subsets of 1000), same IS splits (10).

Extractors (`--extractor`):
- `bench-cnn` (default): a fixed random-weight CNN on 32×32 shapes images with Inception's output
  sizes (2048 features, 1008 logits), so the FD/KID maths has the standard dimension. It costs far
  less per image than Inception, so the metric maths that both sides share (KID's 300 Gram matrices,
  the float64 covariance sums) dominates, and the ratio stays well below 2.5.
- `shapes-v1`: the shipped evaluator of the `shapes` suite (256 features, 30 IS logits), the
  extractor xmbench's default benchmark uses.
- `inception`: torch-fidelity's InceptionV3 (the FID/KID/IS network; 32×32 images resized to 299)
  with random weights written to a temporary file (no download). Here the extractor passes dominate
  and the ratio tends to 2.5 (5 extractor passes against 2). About 4 images/s on a 2-core CPU, so
  10k + 10k images need a GPU (`--device cuda`).
Prints medians of the repeats and the ratio.
Usage: python benchmarks/evaluator_speed.py [--n 10000] [--repeats 1] [--extractor bench-cnn|shapes-v1|inception]
                                            [--device cpu|cuda] [--subset-size 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import safetensors.torch
import torch
from _timing import race  # benchmarks/ is on sys.path when run as a script
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from xmbench.data.shapes import ShapesSuite
from xmbench.extractors import get_extractor
from xmbench.extractors.base import Extractor, ExtractorInfo
from xmbench.extractors.inception import InceptionExtractor, random_weights
from xmbench.metrics.evaluator import Evaluator


class BenchNet(torch.nn.Module):
    """Random-weight CNN: uint8 (N,3,32,32) -> (features (N,2048), logits (N,1008))."""

    def __init__(self, dim: int = 2048, classes: int = 1008) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 64, 3, 2, 1),
            torch.nn.ReLU(),
            torch.nn.Conv2d(64, 128, 3, 2, 1),
            torch.nn.ReLU(),
            torch.nn.Conv2d(128, 256, 3, 2, 1),
            torch.nn.ReLU(),
            torch.nn.Flatten(),
            torch.nn.Linear(256 * 16, dim),
            torch.nn.ReLU(),
        )
        self.head = torch.nn.Linear(dim, classes)
        for m in self.modules():  # variance-preserving init, so features and logits vary between images
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(m.weight)
                torch.nn.init.zeros_(m.bias)
        self.eval()

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body((images.float() / 255.0 - 0.5) / 0.25)
        return f, self.head(f)


class BenchExtractor(Extractor):
    def __init__(self, net: BenchNet, device: str) -> None:
        self.net = net.to(device)
        self._device = torch.device(device)
        self.info = ExtractorInfo("bench-cnn", "0" * 64, 32, "none", 2048, frozenset({"features", "logits"}))

    @property
    def device(self) -> torch.device:
        return self._device

    def images(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        f, logits = self.net(images.to(self._device))
        return {"features": f, "logits": logits}


class Features(torch.nn.Module):  # the peers' `feature=` modules, sharing the same extractor
    def __init__(self, ext: Extractor, key: str) -> None:
        super().__init__()
        self.ext, self.key, self.num_features = ext, key, ext.info.feature_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.ext.images(images)[self.key]


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def run_xmbench(
    ext: Extractor, real: torch.Tensor, gen: torch.Tensor, batch: int, subset_size: int, fd_bootstrap: int = 0
) -> dict:
    ev = Evaluator(
        ext,
        ["fd", "kid", "is"],
        bootstrap=0,
        options={"fd": {"bootstrap": fd_bootstrap}, "kid": {"subset_size": subset_size}},
    )
    for i in range(0, len(real), batch):
        ev.update_reference(real[i : i + batch])
    for i in range(0, len(gen), batch):
        ev.update(gen[i : i + batch])
    values = {k: v.value for k, v in ev.compute().items()}
    _sync()
    return values


def run_torchmetrics(ext: Extractor, real: torch.Tensor, gen: torch.Tensor, batch: int, subset_size: int) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fid = FrechetInceptionDistance(feature=Features(ext, "features")).to(ext.device)
        kid = KernelInceptionDistance(feature=Features(ext, "features"), subsets=100, subset_size=subset_size).to(
            ext.device
        )
        isc = InceptionScore(feature=Features(ext, "logits"), splits=10).to(ext.device)
    for i in range(0, len(real), batch):
        fid.update(real[i : i + batch], real=True)
        kid.update(real[i : i + batch], real=True)
    for i in range(0, len(gen), batch):
        fid.update(gen[i : i + batch], real=False)
        kid.update(gen[i : i + batch], real=False)
        isc.update(gen[i : i + batch])
    values = {"fd": float(fid.compute()), "kid": float(kid.compute()[0]), "is": float(isc.compute()[0])}
    _sync()
    return values


def make_extractor(name: str, device: str, tmp: Path) -> Extractor:
    if name == "bench-cnn":
        return BenchExtractor(BenchNet(), device)
    if name == "inception":
        weights = tmp / "inception-random.safetensors"
        safetensors.torch.save_file(random_weights(), weights)
        return InceptionExtractor(weights, device)
    return get_extractor(name, device=device)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--fd-bootstrap", type=int, default=0)
    ap.add_argument("--extractor", choices=("bench-cnn", "shapes-v1", "inception"), default="bench-cnn")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--subset-size", type=int, default=1000, help="KID subset size (at most --n)")
    args = ap.parse_args()
    suite = ShapesSuite()
    real = suite.batch("train", range(args.n)).images
    gen = suite.batch("train", range(args.n, 2 * args.n)).images
    with tempfile.TemporaryDirectory() as tmp:
        ext = make_extractor(args.extractor, args.device, Path(tmp))
    k = args.subset_size
    ext.images(real[: args.batch])  # warm-up (kernel selection) outside the timed runs, shared by both
    o, p, ov, pv = race(
        lambda: run_xmbench(ext, real, gen, args.batch, k),
        lambda: run_torchmetrics(ext, real, gen, args.batch, k),
        args.repeats,
    )
    fd = next(v for name, v in ov.items() if name.startswith(("fd", "fid")))
    print(
        f"FD+KID+IS, {args.n:,} generated + {args.n:,} real images, extractor {ext.info.id} "
        f"(d={ext.info.feature_dim}) on {args.device}, {torch.get_num_threads()} threads: xmbench "
        f"Evaluator {o:.1f} s; torchmetrics FID+KID+IS classes {p:.1f} s; ratio {p / o:.2f}x"
    )
    print(
        f"values: xmbench FD {fd:.6g} KID {ov['kid']:.6g} IS {ov['is']:.6g}; torchmetrics FD "
        f"{pv['fd']:.6g} KID {pv['kid']:.6g} (unseeded subsets) IS {pv['is']:.6g} (unseeded splits)"
    )
    if args.fd_bootstrap:
        t = time.perf_counter()
        run_xmbench(ext, real, gen, args.batch, k, args.fd_bootstrap)
        print(f"xmbench with a {args.fd_bootstrap}-resample FD bootstrap CI: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
