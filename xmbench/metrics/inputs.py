"""Input checks every metric runs first: feature matrices that are 2-D, non-empty in width, agree in width and
are finite; and the one rule for too few samples.

The rule (`check_count`): every metric — functional form, Metric class and the Evaluator's adapter, text
-> image and image -> text alike — refuses a sample count below its minimum before any arithmetic, in one
line "<metric> needs at least <k> <samples>, got <n>; <fix>". Inputs at or above the minimum give a
finite value with a closed form where the inputs are degenerate (FD of identical sets is 0, IS of
identical rows is 1, KID of identical constant sets is 0); no linear-algebra error or NaN escapes.
"""

from __future__ import annotations

import torch

from xmbench.errors import InputError


def check_features(x: torch.Tensor, metric: str, what: str = "features", dim: int | None = None) -> torch.Tensor:
    """`x` unchanged when it is a finite (N,D) tensor with D ≥ 1 (D = `dim` when given); else a one-line InputError.

    N may be 0 (an empty batch); the count is checked where the metric is computed (`check_count`).

    Args:
        x: features, embeddings or logits, any float dtype, shape (N, D).
        metric: the metric's name, for the message.
        what: what `x` holds, for the message.
        dim: the width D the metric expects, or None for any.

    Returns:
        x itself.

    Example:
        >>> import torch
        >>> check_features(torch.zeros(3, 2), "FD").shape
        torch.Size([3, 2])
        >>> check_features(torch.tensor([[float("nan"), 0.0]]), "KID")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: KID: features contain NaN or Inf (1 of 2 values); check the extractor's input images
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or (dim is not None and x.shape[1] != dim):
        width = "D" if dim is None else str(dim)
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise InputError(f"{metric}: {what} must be a tensor (N,{width}), got {shape}")
    if x.shape[1] == 0:
        raise InputError(f"{metric}: {what} have no columns, shape {tuple(x.shape)}; check the extractor's output")
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise InputError(
            f"{metric}: {what} contain NaN or Inf ({bad} of {x.numel()} values); check the extractor's input images"
        )
    return x


def check_pair(
    generated: torch.Tensor, reference: torch.Tensor, metric: str, what: str = "features"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both sides checked by `check_features`, and of the same width D.

    Example:
        >>> import torch
        >>> check_pair(torch.zeros(3, 2), torch.zeros(4, 3), "PRDC")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: PRDC: generated features are (3, 2) but reference features are (4, 3); ...
    """
    check_features(generated, metric, f"generated {what}")
    check_features(reference, metric, f"reference {what}")
    if generated.shape[1] != reference.shape[1]:
        raise InputError(
            f"{metric}: generated {what} are {tuple(generated.shape)} but reference {what} are "
            f"{tuple(reference.shape)}; use one extractor for both"
        )
    return generated, reference


def check_count(
    n: int, need: int, metric: str, what: str = "generated sample", fix: str = "evaluate more samples"
) -> int:
    """`n` when it is at least `need`; else the one-line InputError of every metric for too few samples.

    Args:
        n: the number of samples (images, captions, resamples) the metric was given.
        need: the fewest it can be computed on.
        metric: the metric's name, for the message.
        what: what is counted, singular ("generated sample", "caption"); an "s" is added when need ≠ 1.
        fix: what the user can do about it.

    Returns:
        n itself.

    Example:
        >>> check_count(5, 2, "FD")
        5
        >>> check_count(1, 2, "FD", "reference sample")
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: FD needs at least 2 reference samples, got 1; evaluate more samples
    """
    if n < need:
        raise InputError(f"{metric} needs at least {need} {what}{'' if need == 1 else 's'}, got {n}; {fix}")
    return n
