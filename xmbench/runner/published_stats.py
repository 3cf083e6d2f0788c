"""Published reference statistics in a run config: `[evaluation] reference_stats = "stats.npz"`.

A pytorch-fid `.npz` (`mu`, `sigma`; xmbench's own statistics files hold them too) stands in for the
reference images of FD: the run extracts no reference image. Metrics that need the reference
features themselves (KID, PRDC) cannot be computed from statistics: asked for by name they are refused
in one line, and "all" leaves them out. The record's protocol holds the file's sha256, so the
board never mixes runs against different statistics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xmbench.errors import InputError, XmbenchError
from xmbench.extractors.base import ExtractorInfo
from xmbench.filehash import sha256_file
from xmbench.metrics.reference import UNKNOWN, ReferenceStats
from xmbench.runner.config import RunConfig, located

#: metrics whose estimators keep the reference features (their adapters take `takes_reference`)
NEEDS_REFERENCE_FEATURES = frozenset({"cmmd", "kid", "prdc"})
KEY = "evaluation.reference_stats"


def metrics_with_stats(config: RunConfig, names: list[str]) -> list[str]:
    """`names` of a run with published statistics: "all" drops the metrics that need reference features,
    an explicit list naming one is refused (one line located at reference_stats); unchanged without them.

    Example:
        >>> from xmbench.runner.config import parse_config
        >>> config = parse_config('[evaluation]\\nreference_stats = "s.npz"\\n[[models]]\\ncalibration = "noise"\\n')
        >>> metrics_with_stats(config, ["fd", "kid", "is"])
        ['fd', 'is']
    """
    if config.reference_stats is None:
        return names
    refused = [m for m in config.metrics or () if m in NEEDS_REFERENCE_FEATURES]
    if refused:
        raise located(
            config,
            KEY,
            InputError(
                f"{', '.join(refused)} need the reference images' features, not only their statistics "
                f"({config.reference_stats}); drop {', '.join(refused)} or remove reference_stats"
            ),
        )
    return [m for m in names if m not in NEEDS_REFERENCE_FEATURES]


def read_published(config: RunConfig) -> tuple[ReferenceStats, dict[str, Any]] | None:
    """The run's statistics file (None without one) and its protocol entry, read before any work.

    Example:
        >>> import tempfile
        >>> import numpy as np
        >>> from xmbench.runner.config import parse_config
        >>> path = Path(tempfile.mkdtemp()) / "stats.npz"
        >>> np.savez(path, mu=np.zeros(2), sigma=np.eye(2))
        >>> config = parse_config(f'[evaluation]\\nreference_stats = "{path}"\\n[[models]]\\ncalibration = "noise"\\n')
        >>> stats, entry = read_published(config)
        >>> stats.dim, entry["stats"]["dim"]
        (2, 2)
    """
    path = config.reference_stats
    if path is None:
        return None
    if not Path(path).is_file():
        raise located(
            config, KEY, InputError(f"reference_stats {path} is not a file; give a pytorch-fid npz (mu, sigma)")
        )
    try:
        stats = ReferenceStats.from_pytorch_fid(path, extractor_id=UNKNOWN)
    except XmbenchError as e:
        raise located(config, KEY, e) from None
    return stats, {"stats": {"sha256": sha256_file(path), "dim": stats.dim}}


def check_published(config: RunConfig, stats: ReferenceStats, info: ExtractorInfo) -> None:
    """One located line unless the statistics fit the run's extractor (their dimension)."""
    try:
        stats.check_compatible(info)
    except XmbenchError as e:
        raise located(config, KEY, e) from None


__all__ = ["NEEDS_REFERENCE_FEATURES", "check_published", "metrics_with_stats", "read_published"]
