"""Factories of ready captioners, registered in xmbench.registry.CAPTIONERS by baselines.registry."""

from __future__ import annotations

import os

from baselines.captioners.base import TrainableCaptioner


def shipped_file(name: str) -> os.PathLike:
    """The verified safetensors file of the reference checkpoint shipped for `name`."""
    from baselines.shipped import get_shipped, verified_file

    return verified_file(get_shipped(name))


def trained_captioner(
    name: str, checkpoint: str | os.PathLike | None = None, beam: int = 3, device: str = "cpu"
) -> TrainableCaptioner:
    """The trainable captioner `name` with trained weights, ready to caption.

    checkpoint: a run folder, checkpoint folder or model.safetensors of `xmbench train NAME`
    (default: the reference checkpoint shipped with xmbench); beam: beam width (1 = greedy).
    """
    from baselines.checkpoint import load_checkpoint

    model = load_checkpoint(checkpoint if checkpoint is not None else shipped_file(name), baseline=name, device=device)
    model.beam = int(beam)
    return model.eval()
