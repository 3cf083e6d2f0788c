"""The Captioner contract: `caption(images, seed) -> list[str]`, output checks, and loading user models.

A captioner is the image -> text mirror of a Generator: it receives uint8 images (N,3,H,W) and returns
one caption per image, deterministic given the seed. Implementations should derive each image's
randomness from (seed, position in the batch) so that callers may batch freely.

Outputs are checked by `check_captions`: a list (or tuple) of exactly N strings. An empty string is
a valid (wrong) caption: it is scored, not rejected. A lone surrogate (a str Python holds but UTF-8
cannot encode) is replaced by U+FFFD with a warning, which the record keeps: the run goes on and the
caption is scored as the text it is. A caption longer than `MAX_CAPTION_TOKENS`
whitespace-separated tokens is cut to that many, with one warning per batch.
"""

from __future__ import annotations

import re
import warnings
from typing import Protocol, runtime_checkable

import torch

from xmbench.errors import InputError, XmbenchError, user_code_error
from xmbench.images import check_images
from xmbench.plugins import make_plugin
from xmbench.registry import CAPTIONERS

#: captions are cut to this many whitespace-separated tokens (COCO references have at most ~50)
MAX_CAPTION_TOKENS = 64
_SURROGATES = re.compile("[\ud800-\udfff]")


@runtime_checkable
class Captioner(Protocol):
    """Anything that turns images into captions.

    caption(images, seed) -> list of len(images) strings, deterministic given seed; images are uint8
    (N,3,H,W) in [0,255].
    """

    def caption(self, images: torch.Tensor, seed: int) -> list[str]: ...


def check_captions(captions: object, n: int, source: str = "captioner") -> list[str]:
    """Validate a captioner's output for `n` images and return it as a list of str.

    Args:
        captions: what the captioner returned; must be a list or tuple of `n` str.
        n: number of images captioned.
        source: the captioner's name, for messages.

    Returns:
        The captions, each cut to at most `MAX_CAPTION_TOKENS` tokens (one warning if any was cut).

    Raises:
        InputError: one line naming the problem and the fix.

    Example:
        >>> check_captions(["a red circle", ""], 2)
        ['a red circle', '']
    """
    if isinstance(captions, str) or not isinstance(captions, list | tuple):
        raise InputError(
            f"{source}.caption returned {type(captions).__name__}; it must return a list of str, one per image"
        )
    if len(captions) != n:
        raise InputError(f"{source}.caption returned {len(captions)} captions for {n} images; return one per image")
    bad = next((i for i, c in enumerate(captions) if not isinstance(c, str)), None)
    if bad is not None:
        raise InputError(
            f"{source}.caption returned {type(captions[bad]).__name__} for image {bad}; every caption must be a str "
            "(an empty string is a valid caption)"
        )
    out, cut, healed = [], 0, 0
    for c in captions:
        text = _SURROGATES.sub("\ufffd", c)  # a lone surrogate cannot be written as UTF-8: not text
        c, healed = text, healed + (text != c)
        tokens = c.split()
        if len(tokens) > MAX_CAPTION_TOKENS:
            c, cut = " ".join(tokens[:MAX_CAPTION_TOKENS]), cut + 1
        out.append(c)
    if healed:
        warnings.warn(
            f"{source}: {healed} of {n} captions held lone surrogates (not text); each was replaced by U+FFFD",
            stacklevel=2,
        )
    if cut:
        warnings.warn(
            f"{source}: {cut} of {n} captions were longer than {MAX_CAPTION_TOKENS} tokens and were cut",
            stacklevel=2,
        )
    return out


class CheckedCaptioner:
    """Wraps a captioner so that every input and output is validated (`check_images`, `check_captions`).

    Example:
        >>> class Constant:
        ...     def caption(self, images, seed):
        ...         return ["a shape"] * len(images)
        >>> CheckedCaptioner(Constant(), "constant").caption(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), seed=0)
        ['a shape', 'a shape']
    """

    def __init__(self, inner: Captioner, source: str) -> None:
        self.inner, self.source = inner, source

    def caption(self, images: torch.Tensor, seed: int) -> list[str]:
        images = check_images(images, name=f"images for {self.source}")
        try:
            captions = self.inner.caption(images, int(seed))
        except XmbenchError:
            raise
        except Exception as e:  # the user's code
            raise user_code_error(f"{self.source}.caption", e) from e
        return check_captions(captions, images.shape[0], self.source)


def load_captioner(spec: str, **kwargs: object) -> CheckedCaptioner:
    """A user's captioner from `pkg.module:factory` or an entry-point name in `xmbench.captioners`.

    Args:
        spec: an import path `pkg.module:factory` (a class or function) or an entry-point name.
        **kwargs: passed to the factory.

    Returns:
        The captioner, wrapped so that its outputs are checked with `check_captions`.

    Raises:
        InputError: the module, attribute or entry point is missing, the factory is not callable, or
            it returned an object without a `caption(images, seed)` method.

    Example:
        >>> load_captioner("no_such_captioner_entry_point")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xmbench.errors.InputError: unknown captioner ...
    """
    captioner = make_plugin(spec, CAPTIONERS, "caption", "images, seed", **kwargs)
    return CheckedCaptioner(captioner, spec)
