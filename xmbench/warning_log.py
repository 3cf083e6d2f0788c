"""Python warnings as the command line shows them: each once, on one line, silent under --quiet,
and kept so that result records can list them.

Example:
    >>> import warnings
    >>> with capture_warnings(quiet=True) as log:
    ...     warnings.warn("subset size 50 > samples", UserWarning)
    ...     warnings.warn("subset size 50 > samples", UserWarning)
    >>> log.messages
    ['UserWarning: subset size 50 > samples']
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class WarningLog:
    """The distinct warnings seen (`messages`, in order, as `Category: message` lines) and every
    occurrence (`events`, for the warnings of one step of the work)."""

    quiet: bool = False
    stream: TextIO | None = None
    messages: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def show(self, message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        """warnings.showwarning's signature; prints `xmbench: warning: ...` the first time only."""
        line = f"{category.__name__}: {' '.join(str(message).split())}"
        self.events.append(line)
        if line in self.messages:
            return
        self.messages.append(line)
        if not self.quiet:
            print(f"xmbench: warning: {line}", file=self.stream or sys.stderr, flush=True)


_ACTIVE: list[WarningLog] = []


@contextlib.contextmanager
def capture_warnings(quiet: bool = False) -> Iterator[WarningLog]:
    """Route Python warnings through a WarningLog for the duration of the block."""
    log = WarningLog(quiet=quiet)
    with warnings.catch_warnings():
        warnings.showwarning = log.show
        _ACTIVE.append(log)
        try:
            yield log
        finally:
            _ACTIVE.remove(log)


def warning_mark() -> int:
    """A position in the innermost capture's warnings, for `seen_warnings(since=...)` (0 outside any)."""
    return len(_ACTIVE[-1].events) if _ACTIVE else 0


def seen_warnings(since: int = 0) -> list[str]:
    """The distinct warnings the innermost active capture has seen since `since` ([] outside any)."""
    return list(dict.fromkeys(_ACTIVE[-1].events[since:])) if _ACTIVE else []
