"""Two gloo processes, each feeding one contiguous half of the data: every synced Metric equals the
single-process one (torchmetrics gathers list states in rank order, so the subsampling metrics see the
samples in the same order and draw the same seeded subsets, splits, candidates and folds)."""

import pytest
import torch
import torch.nn.functional as F
from gloo_ranks import on_two_ranks

from xmbench.metrics.clip_score import CLIPScore
from xmbench.metrics.fd import FrechetDistance
from xmbench.metrics.inception_score import InceptionScore
from xmbench.metrics.kid import KernelInceptionDistance
from xmbench.metrics.prdc import PRDC
from xmbench.metrics.r_precision import RPrecision

pytestmark = pytest.mark.distributed

GEN, REAL = 400, 300  # odd split sizes on purpose: rank 0 and rank 1 hold different counts below


def _data() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "gen": torch.randn(GEN, 12, generator=g),
        "real": torch.randn(REAL, 12, generator=g) * 1.3 + 0.2,
        "logits": torch.randn(GEN, 10, generator=g) * 3,
        "img": F.normalize(torch.randn(GEN, 8, generator=g), dim=1),
        "txt": F.normalize(torch.randn(GEN, 8, generator=g), dim=1),
        "groups": torch.randint(0, 150, (GEN,), generator=g),
    }


def _metrics() -> dict:
    return {
        "fd": FrechetDistance(12),
        "kid": KernelInceptionDistance(subsets=20, subset_size=100),
        "is": InceptionScore(splits=4),
        "clip": CLIPScore(),
        "rp": RPrecision(candidates=20, folds=4),
        "prdc": PRDC(),
    }


def _feed(metrics: dict, d: dict[str, torch.Tensor], gen: slice, real: slice) -> dict[str, torch.Tensor]:
    for name in ("fd", "kid", "prdc"):
        metrics[name].update(d["gen"][gen])
        metrics[name].update(d["real"][real], real=True)
    metrics["is"].update(d["logits"][gen])
    metrics["clip"].update(d["img"][gen], d["txt"][gen])
    metrics["rp"].update(image_embed=d["img"][gen], text_embed=d["txt"][gen], groups=d["groups"][gen])
    return {f"{name}.{k}": t.double() for name, m in metrics.items() for k, t in m.compute().items()}


def _rank_values(rank: int) -> dict[str, torch.Tensor]:
    gen = slice(0, 190) if rank == 0 else slice(190, GEN)  # contiguous, unequal shards
    real = slice(0, 160) if rank == 0 else slice(160, REAL)
    return _feed(_metrics(), _data(), gen, real)


def test_two_process_gloo_sync_equals_single_process(tmp_path):
    synced = on_two_ranks(_rank_values, tmp_path)
    single = _feed(_metrics(), _data(), slice(None), slice(None))
    assert set(synced) == set(single) and len(single) == 13
    for key, value in single.items():
        assert abs(float(synced[key]) - float(value)) <= 1e-9 * max(abs(float(value)), 1e-12), key
