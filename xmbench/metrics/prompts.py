"""Images grouped by the prompt they were generated for (several images per prompt, GenEval-style).

A run with K images per prompt feeds N·K images, each tagged with its prompt's index. Per-image
quantities are summed per prompt here, so that bootstrap intervals resample prompts (a prompt's K
images together, the unit the evaluation captions were drawn as); with one image per prompt the
per-prompt sums are the per-image values, in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xmbench.errors import InputError


def prompt_groups(prompts: Sequence[int]) -> list[np.ndarray]:
    """The image positions of each prompt, prompts in order of first appearance.

    Example:
        >>> [g.tolist() for g in prompt_groups([4, 7, 4, 7, 9])]
        [[0, 2], [1, 3], [4]]
    """
    groups: dict[int, list[int]] = {}
    for position, prompt in enumerate(prompts):
        groups.setdefault(int(prompt), []).append(position)
    return [np.asarray(g, dtype=np.int64) for g in groups.values()]


def prompt_sums(values: np.ndarray, prompts: Sequence[int]) -> np.ndarray:
    """float64 (P,) sums of per-image `values` (N,) over each prompt's images (order of `prompt_groups`).

    Example:
        >>> prompt_sums(np.array([1.0, 0.0, 1.0, 1.0]), [0, 1, 0, 1]).tolist()
        [2.0, 1.0]
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) != len(prompts):
        raise InputError(f"got {len(values)} per-image values for {len(prompts)} prompt indices; pass one per image")
    return np.array([values[g].sum() for g in prompt_groups(prompts)], dtype=np.float64)


def images_per_prompt(prompts: Sequence[int]) -> tuple[int, int]:
    """(fewest, most) images any prompt has.

    Example:
        >>> images_per_prompt([0, 1, 0, 1, 2])
        (1, 2)
    """
    sizes = [len(g) for g in prompt_groups(prompts)]
    return (min(sizes), max(sizes)) if sizes else (0, 0)


__all__ = ["images_per_prompt", "prompt_groups", "prompt_sums"]
