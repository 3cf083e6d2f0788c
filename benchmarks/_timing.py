"""Timing helper shared by the benchmarks: run ours and the peer alternately, keep medians."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def race(ours: Callable[[], Any], peer: Callable[[], Any], repeats: int) -> tuple[float, float, Any, Any]:
    """(median s of ours, median s of peer, last result of ours, last result of peer), alternating runs."""
    times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(repeats):
        for i, fn in enumerate((ours, peer)):
            t = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - t)
    return statistics.median(times[0]), statistics.median(times[1]), results[0], results[1]
