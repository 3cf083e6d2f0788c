"""XMBENCH_HOME: the local folder for weights (weights/) and real datasets (data/<suite>)."""

from __future__ import annotations

import os
from pathlib import Path

#: used when the XMBENCH_HOME environment variable is unset (relative to the working folder)
DEFAULT_HOME = ".xmbench"


def xmbench_home() -> Path:
    """$XMBENCH_HOME, else .xmbench in the working folder."""
    return Path(os.environ.get("XMBENCH_HOME") or DEFAULT_HOME)
