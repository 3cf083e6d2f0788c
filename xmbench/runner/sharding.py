"""Sharding chunked work across torchrun processes: chunk k on rank k % world size, gathered on rank 0."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from xmbench import distributed as dist


def sharded(
    starts: range | list[int], work: Callable[[int], dict[str, torch.Tensor]], what: str, device: torch.device
) -> Iterator[tuple[int, dict[str, torch.Tensor]]]:
    """Run `work(start)` for this process's chunks and yield (start, outputs on `device`) on rank 0.

    Chunk k of `starts` runs on rank k % world size; rank 0 yields every chunk's outputs in order, the
    other ranks yield nothing but must still exhaust the iterator (it holds collectives). In one
    process: `work` on each chunk in turn. A failure on any rank raises on every rank
    (xmbench.distributed.collective); `what` names the work in that error.

    Example:
        >>> import torch
        >>> out = sharded(range(0, 6, 3), lambda s: {"x": torch.arange(s, s + 3)}, "counting", torch.device("cpu"))
        >>> [(start, outputs["x"].tolist()) for start, outputs in out]
        [(0, [0, 1, 2]), (3, [3, 4, 5])]
    """
    starts, world, rank = list(starts), dist.world_size(), dist.rank()
    for first in range(0, len(starts), world):
        mine = None
        with dist.collective(what):
            if first + rank < len(starts):
                mine = work(starts[first + rank])
        gathered = dist.gather_tensors(mine)
        for j, outputs in enumerate(gathered or []):
            if outputs is not None:
                yield starts[first + j], {k: v.to(device) for k, v in outputs.items()}
