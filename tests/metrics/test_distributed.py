"""Two gloo processes, each feeding half of the features: the synced FD equals the single-process FD."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from xmbench.metrics.fd import FrechetDistance


def _features():
    g = torch.Generator().manual_seed(0)
    return torch.randn(400, 12, generator=g), torch.randn(300, 12, generator=g) * 1.3 + 0.2


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    gen, real = _features()
    m = FrechetDistance(12)
    m.update(gen[rank::world])
    m.update(real[rank::world], real=True)
    value = m.compute()
    if rank == 0:
        torch.save({"fd": value}, out)
    dist.destroy_process_group()


def test_two_process_gloo_sync_equals_single_process(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "fd.pt")
    # fork, not spawn: children inherit the imported torch/torchmetrics (a spawned child re-imports them,
    # 10-25 s each on the loaded 2-core machine); they use one thread and no OpenMP parallel regions.
    mp.start_processes(_worker, args=(2, port, out), nprocs=2, join=True, start_method="fork")
    synced = torch.load(out, weights_only=True)
    gen, real = _features()
    single = FrechetDistance(12)
    single.update(gen)
    single.update(real, real=True)
    assert abs(float(synced["fd"]) - float(single.compute())) <= 1e-9 * float(single.compute())
