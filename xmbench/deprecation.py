"""Old argument names kept for one release as deprecated aliases of the one name per concept.

Example:
    >>> import warnings
    >>> @renamed(caption_embed="text_embed")
    ... def f(text_embed):
    ...     return text_embed
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(caption_embed=3), str(caught[0].message)
    (3, "argument 'caption_embed' is deprecated; use 'text_embed' (the old name goes in the next release)")
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: keyword arguments under an old name reach the function under the new one, with a
    DeprecationWarning; giving both is a TypeError."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"give {new!r}, not both {new!r} and its deprecated name {old!r}")
                    warnings.warn(
                        f"argument {old!r} is deprecated; use {new!r} (the old name goes in the next release)",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


__all__ = ["renamed"]
