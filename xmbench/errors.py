"""User-facing errors: each carries one line that names the problem and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class XmbenchError(Exception):
    """Base class of errors the command line prints as one line (no traceback)."""


class InputError(XmbenchError, ValueError):
    """Bad user input: wrong values, shapes, files or names."""


class WeightsError(XmbenchError, FileNotFoundError):
    """Missing, corrupt or mismatched network weights."""


class UserCodeError(XmbenchError):
    """A user's model or plugin raised; the original exception is the __cause__ (shown with --traceback)."""


def user_code_error(what: str, error: BaseException) -> UserCodeError:
    """One line: `what` raised ExceptionType: first line of its message; the full traceback on request.

    Example:
        >>> str(user_code_error("model 'mine'.generate", ValueError("bad input")))
        "model 'mine'.generate raised ValueError: bad input (full traceback: --traceback or XMBENCH_TRACEBACK=1)"
    """
    text = str(error).strip()
    first = text.splitlines()[0][:300] if text else "(no message)"
    return UserCodeError(
        f"{what} raised {type(error).__name__}: {first} (full traceback: --traceback or XMBENCH_TRACEBACK=1)"
    )


class CacheRepairWarning(UserWarning):
    """A damaged cache entry or run file was ignored and is being rebuilt."""


#: suggestions less similar than the closest one by more than this (difflib ratio, in [0, 1]) are left out
SUGGESTION_MARGIN = 0.2


def _similarity(candidate: str, name: str) -> float:
    return difflib.SequenceMatcher(None, candidate, name).ratio()  # the order get_close_matches scores in


def unknown_name(kind: str, name: str, known: Iterable[str]) -> InputError:
    """An InputError for an unknown `kind` name that suggests the closest known names, those within
    SUGGESTION_MARGIN of the closest one's similarity ('fid' or 'fd' suggest the fd_<extractor> names:
    FID is the Inception protocol only).

    Example:
        >>> print(unknown_name("metric to rank by", "fid", ["fd_shapes", "kid"]))
        unknown metric to rank by 'fid'; did you mean 'fd_shapes'?
        >>> print(unknown_name("suite", "shapez", ["shapes", "shapes-skills"]))
        unknown suite 'shapez'; did you mean 'shapes'?
    """
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        best = _similarity(close[0], name)
        close = [c for c in close if _similarity(c, name) >= best - SUGGESTION_MARGIN]
    fd_family = [k for k in known if k.startswith("fd_") and not k.endswith("_inf")]
    if name in ("fid", "fd") and fd_family:  # a Frechet distance in another feature space is named fd_<extractor>
        close = fd_family
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else f"known: {', '.join(known)}"
    return InputError(f"unknown {kind} {name!r}; {hint}")
