"""Progress bars: tqdm with rate and ETA on a terminal, silent when not a TTY or with --quiet."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def show_progress(quiet: bool) -> bool:
    """Whether progress bars are shown: not quiet and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


def bar(total: int, desc: str, quiet: bool, unit: str = "img", **kw: Any) -> tqdm:
    """A tqdm bar on stderr (disabled unless show_progress(quiet))."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        dynamic_ncols=True,
        leave=False,
        disable=not show_progress(quiet),
        file=sys.stderr,
        **kw,
    )
