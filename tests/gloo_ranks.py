"""Run a computation on two gloo processes, as torchrun would, and return what rank 0 computed."""

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _worker(rank: int, compute: Callable[[int], Any], port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    values = compute(rank)
    if rank == 0:
        torch.save(values, out)
    dist.destroy_process_group()


def on_two_ranks(compute: Callable[[int], Any], tmp_path: Path) -> Any:
    """`compute(rank)` in two processes joined by a gloo process group; rank 0's result (tensors / dicts).

    fork, not spawn: children inherit the imported torch/torchmetrics (a spawned child re-imports them,
    10-25 s each on a loaded 2-core machine); they use one thread and no OpenMP parallel regions.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "rank0.pt")
    mp.start_processes(_worker, args=(compute, port, out), nprocs=2, join=True, start_method="fork")
    return torch.load(out, weights_only=True)
