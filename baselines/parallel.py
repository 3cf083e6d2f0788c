"""Data-parallel training of the reference models under torchrun (DistributedDataParallel).

Every trainable part of a model (each entry of its ModuleDicts: a GAN's `g` and `d`, a captioner's
`nets`; and its other direct children that train, such as a GAN's caption encoder) is wrapped in
DistributedDataParallel for the length of the training loop, so each backward pass averages the
gradients of all ranks; the model's own code is unchanged. Checked
in this torch (2.14, gloo, CPU) with every baseline, including the gradient penalties that call
`autograd.grad(create_graph=True)` (WGAN-GP, DF-GAN's MA-GP) and the jointly trained encoder: after
DDP steps on different per-rank batches, every rank holds bit-identical parameters
(tests/distributed).

- A forward pass with gradients off, or through a module whose parameters are all frozen (the
  discriminator during the generator's step), bypasses DDP: no gradient of that module is expected,
  so DDP's reducer is not armed for one that never comes.
- Buffers (batch-norm running statistics, spectral-norm vectors) are not synchronised on every
  forward (`broadcast_buffers=False`); `sync_buffers` copies rank 0's to every rank before each
  checkpoint, so saved and in-memory models agree. Spectral-norm vectors stay identical anyway (their
  power iteration depends only on the weights).
- Batch norm: on CUDA the batch-norm layers become SyncBatchNorm (statistics over the global batch).
  SyncBatchNorm does not run on CPU in this torch ("expected input tensor to be on GPU"), so on CPU
  each rank normalises with the statistics of its own per-process batch, as a one-process run with
  that batch size does.
"""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from xmbench import distributed as dist
from xmbench.errors import XmbenchError
from xmbench.seeding import derive_seed

#: broadcast_buffers is deprecated in favour of forward_sync_buffers in recent torch
_NO_BUFFER_SYNC = (
    {"forward_sync_buffers": False}
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters
    else {"broadcast_buffers": False}
)


# 1-channel convolution weights (D's last layer) have a stride on their size-1 dimension that differs
# from the bucket's: DDP copies the gradient and warns, harmlessly, once per process
warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")


class _Synced(DistributedDataParallel):
    """DDP that steps aside when no gradient of its module can arise (no grad mode, frozen module)."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if not torch.is_grad_enabled() or not any(p.requires_grad for p in self.module.parameters()):
            return self.module(*args, **kwargs)
        return super().forward(*args, **kwargs)


def rank_seed(seed: int) -> int:
    """The seed of this rank's batches and noise: `seed` in a single process, else derived from
    (seed, rank), so ranks draw different batches and a resumed run redraws the same ones."""
    return seed if dist.world_size() == 1 else derive_seed(seed, "rank", dist.rank())


def mean_logs(logs: dict[str, float]) -> dict[str, float]:
    """Per-step losses averaged over the ranks (the same dict on every rank; unchanged in one process).
    A non-finite loss on any rank makes the mean non-finite everywhere, so every rank stops together."""
    return dict(zip(logs, dist.mean_over_ranks(list(logs.values())), strict=False))


def sync_buffers(model: nn.Module) -> None:
    """Copy rank 0's buffers (running statistics, spectral-norm vectors) to every rank."""
    dist.broadcast_tensors(list(model.buffers()))


class DataParallel:
    """Context manager: `model` (a Baseline) trains data-parallel inside the block.

        with DataParallel(model) as dp:
            model.train_step(...)            # gradients averaged over the ranks
            with dp.plain():
                save_checkpoint(model, ...)  # unwrapped: state-dict keys as in one process

    On entry rank 0's parameters and buffers are copied to every rank (so frozen parts such as a
    pre-trained encoder agree too). A no-op in a single process.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.active = dist.is_distributed()
        self._plain: list[tuple[Any, str, nn.Module]] = []
        self._wrapped: list[tuple[Any, str, nn.Module]] = []

    def _targets(self) -> Iterator[tuple[Any, str, nn.Module]]:
        """(owner, key, module) of every trainable child: the entries of the model's ModuleDicts
        (a GAN's g and d, a captioner's nets) and its other direct children (a GAN's caption encoder)."""
        for name, child in self.model.named_children():
            owner, entries = (
                (child, child.items()) if isinstance(child, nn.ModuleDict) else (self.model, [(name, child)])
            )
            for key, module in entries:
                if any(p.requires_grad for p in module.parameters()):
                    yield owner, key, module

    def _set(self, entries: list[tuple[Any, str, nn.Module]]) -> None:
        for owner, key, module in entries:
            if isinstance(owner, nn.ModuleDict):
                owner[key] = module
            else:
                setattr(owner, key, module)

    def __enter__(self) -> DataParallel:
        if not self.active:
            return self
        model = self.model
        dist.broadcast_tensors([*model.parameters(), *model.buffers()])
        device = next(model.parameters()).device
        for owner, key, module in list(self._targets()):
            if device.type == "cuda":
                module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
            wrapped = _Synced(module, device_ids=[device.index] if device.type == "cuda" else None, **_NO_BUFFER_SYNC)
            self._plain.append((owner, key, module))
            self._wrapped.append((owner, key, wrapped))
        covered = {id(p) for _, _, module in self._plain for p in module.parameters()}
        stray = [name for name, p in model.named_parameters() if p.requires_grad and id(p) not in covered]
        if stray:  # their gradients would not be averaged: the ranks would drift apart
            raise XmbenchError(
                f"baseline {getattr(model, 'name', '?')!r} trains parameters that are not in a child module "
                f"({stray[0]}, ...); DDP covers only those: register them in a ModuleDict of the model"
            )
        self._set(self._wrapped)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            self._set(self._plain)

    @contextlib.contextmanager
    def plain(self) -> Iterator[None]:
        """The model with its own modules (no DDP wrappers) inside the block: for saving and sampling."""
        if not self.active:
            yield
            return
        self._set(self._plain)
        try:
            yield
        finally:
            self._set(self._wrapped)


__all__ = ["DataParallel", "mean_logs", "rank_seed", "sync_buffers"]
