"""Run by tests/distributed under torchrun (2 CPU processes, gloo): exercises xmbench.distributed's
collectives, the runner's chunk sharding and DDP training of the baselines, and writes what each
rank saw to OUT/rank-R.json for the test to compare.

    python -m torch.distributed.run --nproc-per-node 2 tests/distributed/ddp_worker.py OUT [CONFIG RUN_OUT]

With CONFIG it ends with `xmbench run CONFIG --out RUN_OUT --quiet` (the CLI, which leaves the group).
One launch for all of it: starting two Python processes with torch costs most of the time here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

torch.set_num_threads(1)

from baselines import parallel, training  # noqa: E402
from baselines.data import load_split  # noqa: E402
from baselines.registry import get_baseline  # noqa: E402
from xmbench import distributed as dist  # noqa: E402
from xmbench.data import get_suite  # noqa: E402
from xmbench.runner.cache import content_key  # noqa: E402
from xmbench.runner.sharding import sharded  # noqa: E402
from xmbench.seeding import derive_seed  # noqa: E402

TINY = {"batch_size": 8, "ngf": 8, "ndf": 8, "text_encoder": "joint"}


def state_digest(model: torch.nn.Module) -> str:
    """sha256 of every parameter and buffer (names and bytes): equal digests = identical models."""
    return content_key(
        [
            (k, v.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes().hex())
            for k, v in sorted(model.state_dict().items())
        ]
    )


def train_tiny(name: str, out: Path, steps: int, tiny: dict = TINY, **options) -> torch.nn.Module:
    """train_baseline's set-up, keeping the model so its in-memory state can be compared."""
    suite = get_suite("shapes")
    torch.manual_seed(derive_seed(0, "init"))
    data = dist.main_first(lambda: load_split(suite, "train", limit=64), "rendering")
    model = get_baseline(name, suite, captions=data.captions, **{**tiny, **options})
    samples = (data.images[:4], data.captions[:4])
    training.train(model, suite, data, out, steps=steps, seed=0, checkpoint_every=2, quiet=True, samples=samples)
    return model


def main(out: Path, run_args: list[str]) -> int:
    dist.init("cpu")
    rank = dist.rank()
    report: dict = {"rank": rank, "world": dist.world_size()}

    # collectives
    report["broadcast"] = dist.broadcast_json({"from": rank})
    gathered = dist.gather_tensors({"t": torch.full((rank + 1,), float(rank))})
    report["gathered"] = [g["t"].tolist() for g in gathered] if gathered is not None else None
    try:
        with dist.collective("testing the error exchange"):
            if rank == 1:
                raise ValueError("boom on rank 1")
        report["error"] = None
    except Exception as e:  # every rank must raise
        report["error"] = f"{type(e).__name__}: {e}"

    # a trainable parameter DDP would not cover is refused on every rank
    stray = torch.nn.Module()
    stray.g, stray.d = torch.nn.ModuleDict({"net": torch.nn.Linear(2, 2)}), torch.nn.ModuleDict()
    stray.encoder = torch.nn.Linear(2, 2).requires_grad_(False)
    stray.extra = torch.nn.Parameter(torch.zeros(2))
    try:
        with parallel.DataParallel(stray):
            report["stray"] = None
    except Exception as e:
        report["stray"] = f"{type(e).__name__}: {e}"

    # the runner's sharding: 5 chunks over 2 ranks, gathered in order on rank 0
    worked: list[int] = []

    def work(start: int) -> dict[str, torch.Tensor]:
        worked.append(start)
        return {"start_rank": torch.tensor([start, rank])}

    report["worked"] = worked
    report["order"] = [
        o["start_rank"].tolist() for _, o in sharded(range(0, 50, 10), work, "sharding", torch.device("cpu"))
    ]

    # DDP training: count checkpoint writes per rank
    saved: list[str] = []
    save = training.save_checkpoint

    def counting(model, folder, info):
        saved.append(Path(folder).relative_to(out).as_posix())
        return save(model, folder, info)

    training.save_checkpoint = counting
    report["rank_seed"] = parallel.rank_seed(0)
    torch.manual_seed(derive_seed(0, "init"))
    report["dfgan_init"] = state_digest(
        get_baseline(
            "dfgan", get_suite("shapes"), captions=load_split(get_suite("shapes"), "train", limit=64).captions, **TINY
        )
    )
    train_tiny("dfgan", out / "dfgan-resumed", 2)  # "killed" after its step-2 checkpoint ...
    resumed = train_tiny("dfgan", out / "dfgan-resumed", 3)  # ... and resumed to step 3
    straight = train_tiny("dfgan", out / "dfgan-straight", 3)
    report["dfgan_resumed"], report["dfgan_straight"] = state_digest(resumed), state_digest(straight)
    report["wgan_gp"] = state_digest(train_tiny("gan-int-cls", out / "gic-wgan-gp", 2, loss="wgan-gp"))
    report["stackgan"] = state_digest(train_tiny("stackgan", out / "stackgan", 2))
    captioner = {"batch_size": 8, "width": 4, "embed": 8, "hidden": 8, "attention": 8}
    report["show_attend_tell"] = state_digest(train_tiny("show-attend-tell", out / "sat", 2, tiny=captioner))
    report["saved"] = saved
    (out / f"rank-{rank}.json").write_text(json.dumps(report, indent=1))
    if not run_args:
        dist.shutdown()
        return 0
    from xmbench.cli import main as cli

    return cli(["run", run_args[0], "--out", run_args[1], "--quiet"])


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2:]))
