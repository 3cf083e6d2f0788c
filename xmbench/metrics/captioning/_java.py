"""Locating the Java tools behind METEOR and SPICE (pycocoevalcap's jars), with one-line errors."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from xmbench.errors import InputError


def pycocoevalcap_dir(metric: str) -> Path:
    """The installed pycocoevalcap package folder (it ships the jars); InputError naming the fix."""
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"{metric} runs pycocoevalcap's Java jar: pip install pycocoevalcap (and a Java runtime)")
    return Path(next(iter(spec.submodule_search_locations)))


def require_java(metric: str) -> None:
    """InputError naming what to install when no `java` is on PATH."""
    if shutil.which("java") is None:
        raise InputError(
            f"{metric} runs a Java jar and no `java` is on PATH: install a Java runtime (e.g. OpenJDK 17: "
            "apt-get install openjdk-17-jre-headless)"
        )
