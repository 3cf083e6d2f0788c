"""XMBENCH_HOME: the local folder for weights (weights/) and real datasets (data/<suite>)."""

from __future__ import annotations

import os
from pathlib import Path

#: used when the XMBENCH_HOME environment variable is unset (relative to the working folder)
DEFAULT_HOME = ".xmbench"


def xmbench_home() -> Path:
    """$XMBENCH_HOME, else .xmbench in the working folder."""
    return Path(os.environ.get("XMBENCH_HOME") or DEFAULT_HOME)


def cache_home() -> Path:
    """Folder for derived, re-creatable files (rendered splits, pre-trained encoders):
    $XMBENCH_CACHE, else $XMBENCH_HOME/cache, else ~/.cache/xmbench."""
    if os.environ.get("XMBENCH_CACHE"):
        return Path(os.environ["XMBENCH_CACHE"])
    if os.environ.get("XMBENCH_HOME"):
        return Path(os.environ["XMBENCH_HOME"]) / "cache"
    return Path.home() / ".cache" / "xmbench"
