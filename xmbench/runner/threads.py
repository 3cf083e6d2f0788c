"""Thread control for the metric computations (see docs/performance.md for the measurements)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with at most `n` torch intra-op threads, restoring the count afterwards.

    Metric computation is small dense linear algebra (a d x d eigendecomposition per bootstrap
    resample, d = 256 for shapes-v1) that extra threads slow down on a busy machine.

    Example:
        >>> import torch
        >>> before = torch.get_num_threads()
        >>> with threads(1):
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    before = torch.get_num_threads()
    torch.set_num_threads(min(n, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)
