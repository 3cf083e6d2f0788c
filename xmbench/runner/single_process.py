"""Computing torchmetrics states on rank 0 alone, when rank 0 already holds every rank's outputs.

torchmetrics all-gathers a Metric's states in `compute()` whenever a process group exists. The
runner gathers the extractor outputs to rank 0 and feeds one Evaluator there, so the states are
already complete and the other ranks compute nothing: a sync would hang or double count.
"""

from __future__ import annotations

from typing import Any

import torch
import torchmetrics


def single_process(*holders: Any) -> None:
    """Keep the torchmetrics states held (directly or in modules) by `holders` from being synced.

    Args:
        holders: objects whose attributes are torch modules (an Evaluator, its metric adapters);
            every torchmetrics.Metric among those modules' submodules is marked as running alone.
    """
    for holder in holders:
        for value in vars(holder).values():
            for module in value.modules() if isinstance(value, torch.nn.Module) else ():
                if isinstance(module, torchmetrics.Metric):
                    module.distributed_available_fn = _no_process_group


def _no_process_group() -> bool:
    return False
