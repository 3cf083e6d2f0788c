"""Losses and the optimiser shared by the shapes evaluators' training (`shapes_v1.train`,
`shapes_skills_v1.train`).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

#: target class of a head that does not apply to a sample
IGNORE = -100


def heads_loss(logits: dict[str, torch.Tensor], targets: torch.Tensor, names: tuple[str, ...]) -> torch.Tensor:
    """Sum over heads of the mean cross-entropy over the samples where the head applies.

    Args:
        logits: head name -> (N, classes) logits.
        targets: (N, len(names)) class per head, IGNORE where the head does not apply.
        names: the heads, in the columns' order.

    Returns:
        The scalar loss; heads that apply to no sample add nothing.

    Example:
        >>> logits = {"a": torch.zeros(2, 4), "b": torch.zeros(2, 3)}
        >>> round(float(heads_loss(logits, torch.tensor([[0, IGNORE], [1, IGNORE]]), ("a", "b"))), 4)  # log 4
        1.3863
    """
    total = logits[names[0]].new_zeros(())
    for col, name in enumerate(names):
        t = targets[:, col]
        if (t != IGNORE).any():
            total = total + F.cross_entropy(logits[name], t, ignore_index=IGNORE)
    return total


def contrastive_loss(
    image_embed: torch.Tensor, text_embed: torch.Tensor, scale: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Symmetric InfoNCE; pairs whose canonical targets are equal count as positives.

    Example:
        >>> e = torch.eye(2)
        >>> round(float(contrastive_loss(e, e, torch.tensor(0.0), torch.tensor([[0], [1]]))), 4)
        0.3133
    """
    same = (targets[:, None, :] == targets[None, :, :]).all(-1).float()
    soft = same / same.sum(1, keepdim=True)
    logits = scale.exp().clamp(max=100.0) * image_embed @ text_embed.T
    return 0.5 * (
        torch.sum(-soft * F.log_softmax(logits, 1), 1).mean() + torch.sum(-soft * F.log_softmax(logits.T, 1), 1).mean()
    )


def one_cycle_adamw(
    model: nn.Module, lr: float, weight_decay: float, epochs: int, steps_per_epoch: int
) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.OneCycleLR]:
    """AdamW with weight decay on the weight matrices and kernels only, and its one-cycle schedule
    (20% warm-up).

    Args:
        model: the network to train.
        lr: the peak learning rate.
        weight_decay: on parameters of 2 or more dimensions; biases and norms get none.
        epochs: of the schedule.
        steps_per_epoch: of the schedule.

    Returns:
        (optimiser, scheduler); step the scheduler after each optimiser step.

    Example:
        >>> opt, sched = one_cycle_adamw(nn.Linear(2, 2), 1e-2, 1e-4, epochs=1, steps_per_epoch=10)
        >>> [g["weight_decay"] for g in opt.param_groups], opt.param_groups[0]["lr"] < 1e-2
        ([0.0001, 0.0], True)
    """
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=lr
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch, pct_start=0.2
    )
    return opt, sched
