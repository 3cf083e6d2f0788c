"""The process group of a `torchrun` launch, and the few collectives xmbench needs.

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK (plus MASTER_ADDR/PORT) for every process. `init()`
joins that group: gloo on CPU, NCCL when the device is CUDA (each process then uses the GPU
`cuda:LOCAL_RANK`). A second, gloo group carries the CPU-side transfers and waits below. Without
torchrun (or with WORLD_SIZE 1) nothing is initialised and every helper acts as for one process:
rank 0 of 1, gathers return the caller's own value, barriers return at once.

Transfers never pickle: Python values travel as JSON, tensors as safetensors bytes, both packed into
uint8 tensors (variable sizes are padded to the largest).

Errors: `collective(what)` wraps a section that every rank enters; when it raises on any rank,
every rank raises (the others with one line naming the failing rank and its message), so no rank
waits forever for a peer that failed. A peer process that dies closes its connections, which fails
the others' next collective at once, and torchrun stops every worker when one exits with an error.
Timeouts: the gradient and device collectives of the default group give up after torch's usual 30
minutes; the CPU group, on which the other ranks wait while rank 0 alone computes metrics (hours
for a large bootstrap on a CPU), after `XMBENCH_DIST_TIMEOUT` seconds (default 86400).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import safetensors.torch
import torch
import torch.distributed as dist

from xmbench.errors import InputError, XmbenchError

T = TypeVar("T")
#: gloo group for CPU transfers and for waiting on rank 0 (None: no process group)
_CPU_GROUP: Any = None
DEFAULT_TIMEOUT_S = 1800.0
WAIT_TIMEOUT_S = 86400.0


def launched() -> bool:
    """True when torchrun (or an equivalent launcher) started this process with WORLD_SIZE > 1."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def is_distributed() -> bool:
    """True when a process group of more than one process is initialised."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's global rank (0 without a process group)."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """Number of processes in the group (1 without a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def local_rank() -> int:
    """This process's rank on its node (torchrun's LOCAL_RANK; 0 without torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0")) if launched() else 0


def launch_rank() -> int:
    """torchrun's RANK for this process (0 without torchrun); unlike rank(), valid after shutdown()."""
    return int(os.environ.get("RANK", "0")) if launched() else 0


def is_main() -> bool:
    """True on rank 0 (and in a single process): the process that writes files and prints."""
    return rank() == 0


def process_device(device: str | torch.device) -> torch.device:
    """`device` for this process: a bare "cuda" becomes cuda:LOCAL_RANK under torchrun."""
    try:
        device = torch.device(device)
    except RuntimeError as e:
        raise InputError(
            f"device {str(device)!r} is not a torch device ({str(e).splitlines()[0]}); pass e.g. cpu or cuda"
        ) from None
    if device.type == "cuda" and device.index is None and launched():
        return torch.device("cuda", local_rank())
    return device


def init(device: str | torch.device = "cpu") -> bool:
    """Join torchrun's process group if launched by it (idempotent); returns is_distributed().

    device: where this process computes; CUDA selects NCCL (and cuda:LOCAL_RANK), else gloo.
    """
    global _CPU_GROUP
    if not launched() or is_distributed():
        return is_distributed()
    for var in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        if var not in os.environ:
            raise InputError(
                f"WORLD_SIZE is set but {var} is not; launch with torchrun (e.g. torchrun "
                "--nproc-per-node 2 -m xmbench ...) or unset WORLD_SIZE"
            )
    wait = _dt.timedelta(seconds=float(os.environ.get("XMBENCH_DIST_TIMEOUT", WAIT_TIMEOUT_S)))
    device = process_device(device)
    cuda = device.type == "cuda"
    if cuda:
        if not torch.cuda.is_available() or local_rank() >= torch.cuda.device_count():
            raise InputError(
                f"LOCAL_RANK {local_rank()} needs a CUDA device, but this node has "
                f"{torch.cuda.device_count()}; lower --nproc-per-node or pass --device cpu"
            )
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo", timeout=_dt.timedelta(seconds=DEFAULT_TIMEOUT_S))
    _CPU_GROUP = dist.new_group(backend="gloo", timeout=wait)
    return True


def shutdown() -> None:
    """Leave the process group (no-op without one)."""
    global _CPU_GROUP
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    _CPU_GROUP = None


def barrier() -> None:
    """Wait until every rank gets here (no-op in a single process)."""
    if is_distributed():
        dist.barrier(group=_CPU_GROUP)


def backend() -> str | None:
    """The default group's backend ("gloo", "nccl"), or None without a group."""
    return str(dist.get_backend()) if is_distributed() else None


# ---- byte transfers (uint8 tensors on the CPU group) -----------------------------------------------
def _pack(data: bytes, size: int) -> torch.Tensor:
    buf = torch.zeros(max(size, 1), dtype=torch.uint8)
    if data:
        buf[: len(data)] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    return buf


def _sizes(n: int) -> list[int]:
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(world_size())]
    dist.all_gather(sizes, torch.tensor([n], dtype=torch.int64), group=_CPU_GROUP)
    return [int(s) for s in sizes]


def all_gather_bytes(data: bytes) -> list[bytes]:
    """Every rank's `data`, in rank order, on every rank."""
    if not is_distributed():
        return [data]
    sizes = _sizes(len(data))
    bufs = [torch.empty(max(max(sizes), 1), dtype=torch.uint8) for _ in sizes]
    dist.all_gather(bufs, _pack(data, max(sizes)), group=_CPU_GROUP)
    return [bytes(b[:s].numpy()) for b, s in zip(bufs, sizes, strict=False)]


def gather_bytes(data: bytes, dst: int = 0) -> list[bytes] | None:
    """Every rank's `data` in rank order on rank `dst`; None on the other ranks."""
    if not is_distributed():
        return [data]
    sizes = _sizes(len(data))
    top = max(max(sizes), 1)
    bufs = [torch.empty(top, dtype=torch.uint8) for _ in sizes] if rank() == dst else None
    dist.gather(_pack(data, top), bufs, dst=dst, group=_CPU_GROUP)
    return [bytes(b[:s].numpy()) for b, s in zip(bufs, sizes, strict=False)] if bufs is not None else None


def broadcast_bytes(data: bytes | None, src: int = 0) -> bytes:
    """Rank `src`'s `data` on every rank (the others pass anything, e.g. None)."""
    if not is_distributed():
        return data or b""
    size = torch.tensor([len(data or b"") if rank() == src else 0], dtype=torch.int64)
    dist.broadcast(size, src=src, group=_CPU_GROUP)
    buf = _pack(data or b"", int(size)) if rank() == src else torch.empty(max(int(size), 1), dtype=torch.uint8)
    dist.broadcast(buf, src=src, group=_CPU_GROUP)
    return bytes(buf[: int(size)].numpy())


# ---- Python values and tensors -------------------------------------------------------------------
def broadcast_json(value: Any, src: int = 0) -> Any:
    """Rank `src`'s JSON-able `value` on every rank: how rank 0 shares a decision (e.g. "this
    record is reused") so that every rank takes the same branch."""
    if not is_distributed():
        return value
    data = json.dumps(value).encode() if rank() == src else None
    return json.loads(broadcast_bytes(data, src).decode())


def all_gather_json(value: Any) -> list[Any]:
    """Every rank's JSON-able `value`, in rank order, on every rank."""
    return [json.loads(b.decode()) for b in all_gather_bytes(json.dumps(value).encode())]


def mean_over_ranks(values: list[float]) -> list[float]:
    """The element-wise mean of every rank's `values` (same length everywhere), on every rank."""
    if not is_distributed() or not values:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t, group=_CPU_GROUP)
    return (t / world_size()).tolist()


def main_first(fn: Callable[[], T], what: str) -> T:
    """`fn()` on rank 0 first, then on the other ranks: rank 0 fills a cache (rendered data, a
    pre-trained encoder) that the others then read instead of recomputing it at the same time."""
    result = None
    with collective(what):
        if is_main():
            result = fn()
    return result if is_main() else fn()


def _tensor_bytes(tensors: dict[str, torch.Tensor] | None) -> bytes:
    if tensors is None:
        return b""
    bad = [k for k, v in tensors.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise XmbenchError(
            f"cannot send {bad[0]!r} between processes: only tensors travel (got {type(tensors[bad[0]]).__name__})"
        )
    # clone: safetensors refuses tensors that share storage (e.g. two views of one output)
    return safetensors.torch.save(
        {k: v.detach().cpu().clone(memory_format=torch.contiguous_format) for k, v in tensors.items()}
    )


def gather_tensors(
    tensors: dict[str, torch.Tensor] | None, dst: int = 0
) -> list[dict[str, torch.Tensor] | None] | None:
    """Every rank's dict of tensors (or None), in rank order, on rank `dst` (on the CPU); None on
    the other ranks. In a single process: [tensors] unchanged."""
    if not is_distributed():
        return [tensors]
    gathered = gather_bytes(_tensor_bytes(tensors), dst)
    if gathered is None:
        return None
    return [safetensors.torch.load(b) if b else None for b in gathered]


def broadcast_tensors(tensors: list[torch.Tensor], src: int = 0) -> None:
    """Overwrite every rank's `tensors` (same shapes and order on every rank) in place with rank
    `src`'s, in one flat transfer per dtype and device."""
    if not is_distributed() or not tensors:
        return
    groups: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device), []).append(t)
    for (_, device), members in groups.items():
        flat = torch.cat([t.detach().reshape(-1) for t in members])
        # NCCL moves CUDA tensors; CPU tensors go over the CPU (gloo) group
        dist.broadcast(flat, src=src, group=None if device.type == "cuda" else _CPU_GROUP)
        offset = 0
        with torch.no_grad():
            for t in members:
                t.copy_(flat[offset : offset + t.numel()].view_as(t))
                offset += t.numel()


# ---- errors ----------------------------------------------------------------------------------------
class PeerError(XmbenchError):
    """Another rank failed in a section this rank also ran."""


@contextlib.contextmanager
def collective(what: str) -> Iterator[None]:
    """Run a section that every rank enters; afterwards the ranks exchange whether it failed.

    A failure on this rank re-raises here; a failure on another rank raises PeerError here, whose
    one line names the rank, `what` it was doing and its message. No-op without a process group.
    """
    if not is_distributed():
        yield
        return
    try:
        yield
    except Exception as e:
        text = str(e) if isinstance(e, XmbenchError) else f"{type(e).__name__}: {e}"
        all_gather_json((text.splitlines() or [type(e).__name__])[0])
        raise
    failures = [(r, msg) for r, msg in enumerate(all_gather_json(None)) if msg is not None]
    if failures:
        r, msg = failures[0]
        raise PeerError(f"rank {r} of {world_size()} failed while {what}: {msg}")


__all__ = [
    "PeerError",
    "all_gather_bytes",
    "all_gather_json",
    "backend",
    "barrier",
    "broadcast_bytes",
    "broadcast_json",
    "broadcast_tensors",
    "collective",
    "gather_bytes",
    "gather_tensors",
    "init",
    "is_distributed",
    "is_main",
    "launch_rank",
    "launched",
    "local_rank",
    "main_first",
    "mean_over_ranks",
    "process_device",
    "rank",
    "shutdown",
    "world_size",
]
