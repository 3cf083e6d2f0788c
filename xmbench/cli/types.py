"""Argument types of the command line: every number a user gives is range-checked where it is parsed.

Each raises argparse.ArgumentTypeError, which the parser reports as one line (exit status 2).
"""

from __future__ import annotations

import argparse
import math


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def count(text: str) -> int:
    """A whole number >= 1 (counts, steps, sizes, threads).

    Example:
        >>> count("3")
        3
    """
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def count_or_zero(text: str) -> int:
    """A whole number >= 0 (0 has a documented meaning, such as "torch's default" or "none").

    Example:
        >>> count_or_zero("0")
        0
    """
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def unit_fraction(text: str) -> float:
    """A finite number in [0, 1) (decays, rates).

    Example:
        >>> unit_fraction("0.999")
        0.999
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, `xmbench: error: ...`, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"xmbench: error: {self.prog}: {message}; see `{self.prog} --help`\n")
